package cli

import "testing"

func TestUsableWorkspace(t *testing.T) {
	tests := []struct {
		dir, home string
		want      bool
	}{
		{"/home/dev/proj", "/home/dev", true},
		{"/home/dev/src/github.com/x/y", "/home/dev", true},
		{"/srv/project", "/home/dev", true},
		{"/tmp/work", "/home/dev", true},
		{"/opt/app", "/home/dev", true},
		{"/var/www/site", "/home/dev", true},
		{"/root/proj", "/root", true},
		{"/", "/home/dev", false},
		{"/home/dev", "/home/dev", false},
		{"/home", "/home/dev", false},
		{"/home/dev/.ssh", "/home/dev", false},
		{"/home/dev/.config/safeclaw", "/home/dev", false},
		{"/home/dev/proj/.venv", "/home/dev", false}, // a hidden directory, even in a project
		{"/etc", "/home/dev", false},
		{"/etc/nginx", "/home/dev", false},
		{"/usr/local/bin", "/home/dev", false},
		{"/var/spool/cron", "/home/dev", false},
		{"/root", "/home/dev", false},
		{"/root", "/root", false},
		{"relative/dir", "/home/dev", false},
		{"", "/home/dev", false},
		{"/home/dev/proj", "", true},
	}
	for _, tt := range tests {
		if got := usableWorkspace(tt.dir, tt.home); got != tt.want {
			t.Errorf("usableWorkspace(%q, %q) = %v, want %v", tt.dir, tt.home, got, tt.want)
		}
	}
}
