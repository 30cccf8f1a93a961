package catalog_test

import (
	"reflect"
	"testing"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

func TestTransfers(t *testing.T) {
	tests := []struct {
		line string
		want []catalog.Transfer
	}{
		{"cp a.sh b.sh", []catalog.Transfer{{Src: "a.sh", Dst: "b.sh", Into: true}}},
		{"cp -T a.sh b.sh", []catalog.Transfer{{Src: "a.sh", Dst: "b.sh"}}},
		{"cp -r d e", []catalog.Transfer{{Src: "d", Dst: "e", Into: true, Tree: true}}},
		{"cp -t /tmp a b", []catalog.Transfer{{Src: "a", Dst: "/tmp", Into: true}, {Src: "b", Dst: "/tmp", Into: true}}},
		{"mv a.sh b", []catalog.Transfer{{Src: "a.sh", Dst: "b", Into: true, Tree: true}}},
		{"install -m 755 a.sh /usr/local/bin/a", []catalog.Transfer{{Src: "a.sh", Dst: "/usr/local/bin/a", Into: true}}},
		{"install -d /opt/x", nil},
		{"ln -sf a.sh b", []catalog.Transfer{{Src: "a.sh", Dst: "b", Into: true, Link: true}}},
		{"dd if=a of=b bs=1M", []catalog.Transfer{{Src: "a", Dst: "b"}}},
		{"dd of=b", []catalog.Transfer{{Src: "/dev/stdin", Dst: "b"}}},
		{"dd if=/dev/zero bs=1M count=1", nil},
		{"rsync -av a.sh b/", []catalog.Transfer{{Src: "a.sh", Dst: "b/", Into: true, Tree: true}}},
		{"rsync -e 'ssh -p 2' h:x.sh .", []catalog.Transfer{{Src: "x.sh", Dst: ".", Into: true, Fetched: true}}},
		{"rsync a.sh h:/tmp/", nil},
		{"scp -P 22 me@h:/opt/x.sh y.sh", []catalog.Transfer{{Src: "x.sh", Dst: "y.sh", Into: true, Fetched: true}}},
		{"scp -r h:tools .", []catalog.Transfer{{Src: "tools", Dst: ".", Into: true, Fetched: true, Tree: true}}},
		{"git clone https://github.com/o/r.git", []catalog.Transfer{{Dst: "r", Fetched: true, Tree: true}}},
		{"git -C /tmp clone --depth 1 -b main git@github.com:o/r w", []catalog.Transfer{{Dst: "/tmp/w", Fetched: true, Tree: true}}},
		{"git status", nil},
		{"gh repo clone o/r -- --depth 1", []catalog.Transfer{{Dst: "r", Fetched: true, Tree: true}}},
		{"svn co https://svn/x/trunk t", []catalog.Transfer{{Dst: "t", Fetched: true, Tree: true}}},
		{"rclone copy remote:s/x.sh /tmp", []catalog.Transfer{{Src: "x.sh", Dst: "/tmp", Into: true, Fetched: true, Tree: true}}},
		{"aws s3 cp s3://b/x.sh .", []catalog.Transfer{{Src: "x.sh", Dst: ".", Into: true, Fetched: true}}},
		{"aws s3 cp x.sh s3://b/", nil},
		{"gsutil -m cp -r gs://b/d /tmp", []catalog.Transfer{{Src: "d", Dst: "/tmp", Into: true, Fetched: true, Tree: true}}},
		{"tar xzf a.tgz -C /opt", []catalog.Transfer{{Src: "a.tgz", Dst: "/opt", Extract: true}}},
		{"tar -xz", []catalog.Transfer{{Src: "-", Dst: ".", Extract: true}}},
		{"tar czf a.tgz d", nil},
		{"unzip -q a.zip -d out", []catalog.Transfer{{Src: "a.zip", Dst: "out", Extract: true}}},
		{"unzip -l a.zip", nil},
		{"7z x a.7z -oout", []catalog.Transfer{{Src: "a.7z", Dst: "out", Extract: true}}},
		{"gunzip i.sh.gz", []catalog.Transfer{{Src: "i.sh.gz", Dst: "i.sh"}}},
		{"gunzip -c i.sh.gz", nil},
	}
	for _, tt := range tests {
		got := catalog.Transfers(action.ParseArgv(words(tt.line)))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Transfers(%s) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

// Programs that read their program from stdin by name, and scripts read
// from files (awk -f, sed -f, vim -S).
func TestProgramFiles(t *testing.T) {
	files := map[string]string{
		"x.awk":  "BEGIN { system(\"nc -l 4444\") }\n",
		"x.sed":  "1e nc -l 4444\n",
		"x.vim":  "silent !nc -l 4444\n",
		"ok.awk": "{ print $1 }\n",
	}
	stdin := func(line, text string) catalog.Command {
		c := cmd(line)
		c.Stdin = text
		return c
	}
	awkCode := "BEGIN { system(\"nc -l 4444\") }"
	cases := []struct {
		c    catalog.Command
		want bool
	}{
		{withFiles(cmd("awk -f x.awk data"), files), true},
		{withFiles(cmd("gawk --file=x.awk"), files), true},
		{withFiles(cmd("sed -f x.sed in.txt"), files), true},
		{withFiles(cmd("sed --file=x.sed"), files), true},
		{withFiles(cmd("vim -S x.vim"), files), true},
		{withFiles(cmd("vim -c 'so x.vim'"), files), true},
		{withFiles(cmd("awk -f ok.awk data"), files), false},
		{stdin("awk -f -", awkCode), true},
		{stdin("awk -f /dev/stdin", awkCode), true},
		{stdin("mawk -bf /dev/fd/0", awkCode), true},
		{stdin("awk {print}", awkCode), false},
		{stdin("sed -nf - in.txt", "1e nc -l 4444"), true},
		{stdin("sed s/a/b/", "1e nc -l 4444"), false},
		{stdin("python3 /dev/stdin", "import os; os.system('nc -l 4444')"), true},
		{stdin("perl /proc/self/fd/0", "system('nc -l 4444')"), true},
		{stdin("python3 app.py", "import os; os.system('nc -l 4444')"), false},
	}
	for _, tc := range cases {
		r := detect(tc.c)
		got := len(r.Scripts) > 0 || len(ofKind(r, action.NetworkListen)) > 0
		if got != tc.want {
			t.Errorf("%v stdin %q: got %v, want %v:%s", tc.c.Views[len(tc.c.Views)-1].Words, tc.c.Stdin, got, tc.want, describe(r))
		}
	}
}

// Vim sends its buffer to a shell with :w !CMD and a range filter: opaque.
func TestVimBufferToShell(t *testing.T) {
	cases := map[string]bool{
		"vim -c 'w !sh' f":                   true,
		"vim -c ':w !sudo bash' f":           true,
		"ex -c '%!sh' f":                     true,
		"vi -c '1,$!python3' f":              true,
		"vim -c 'w !sudo tee %' f":           false,
		"vim -c '%!sort' f":                  false,
		"vi -c ':!/bin/sh' /dev/null":        false,
		"vim -c 'w !python3 -m json.tool' f": false,
	}
	for line, want := range cases {
		r := detect(cmd(line))
		if got := len(ofKind(r, action.ShellOpaque)) > 0; got != want {
			t.Errorf("%s: opaque %v, want %v:%s", line, got, want, describe(r))
		}
	}
}
