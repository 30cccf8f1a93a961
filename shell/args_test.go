package shell

import (
	"slices"
	"testing"
)

func TestCommandArgs(t *testing.T) {
	tests := []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"command": "ls -la"}, []string{"ls -la"}},
		{map[string]any{"CMD": []any{"rm", "-rf", "it's"}}, []string{`'rm' '-rf' 'it'\''s'`}},
		{map[string]any{"shell_command": "a", "shellCommand": "b", "script": "c"}, []string{"c", "b", "a"}}, // by key
		{map[string]any{"options": map[string]any{"command": "nested"}}, []string{"nested"}},
		{map[string]any{"steps": []any{map[string]any{"cmd": "in a list"}, "x"}}, []string{"in a list"}},
		{map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"command": "deep"}}}}, []string{"deep"}},
		{map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"command": "too deep"}}}}}, nil},
		{map[string]any{"query": "select 1", "command": ""}, nil},
		{map[string]any{"command": []any{"ls", 1.0}}, nil},
		{map[string]any{"command": map[string]any{"cmd": "inside a command object"}}, []string{"inside a command object"}},
	}
	for _, tt := range tests {
		if got := CommandArgs(tt.args); !slices.Equal(got, tt.want) {
			t.Errorf("CommandArgs(%v) = %q, want %q", tt.args, got, tt.want)
		}
	}
}
