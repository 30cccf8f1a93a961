package shell

import (
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// Programs that build tools run from variables and options given on the
// command line.
func TestBuildToolPrograms(t *testing.T) {
	tests := []struct {
		text   string
		prog   string
		want   []string
		detail string
	}{
		// make's implicit rules run $(CC) through /bin/sh.
		{"CC='nc -l 4444' make x", "nc", []string{"nc|-l|4444"}, "via CC"},
		{"env CXX='nc -l 4444' make", "nc", []string{"nc|-l|4444"}, "via CXX"},
		{"export CC='nc -l 4444'; make x", "nc", []string{"nc|-l|4444"}, "via CC"},
		{"CC_FOR_BUILD='nc -l 1' ./configure", "nc", []string{"nc|-l|1"}, "via CC_FOR_BUILD"},
		{"HOSTCC='nc -l 1' make", "nc", []string{"nc|-l|1"}, "via HOSTCC"},
		{"TARGET_CC='nc -l 1' cargo build", "nc", []string{"nc|-l|1"}, "via TARGET_CC"},
		{"CC_x86_64_unknown_linux_gnu='nc -l 1' cargo build", "nc", []string{"nc|-l|1"}, "via CC_x86_64_unknown_linux_gnu"},
		{"YACC='nc -l 1' make", "nc", []string{"nc|-l|1"}, "via YACC"},
		{"CONFIG_SHELL='nc -l 1' ./configure", "nc", []string{"nc|-l|1"}, "via CONFIG_SHELL"},
		{"CROSS_COMPILE='nc -l 1 #' make", "nc", []string{"nc|-l|1"}, "via CROSS_COMPILE"},
		{"CC=/tmp/evil make", "evil", []string{"/tmp/evil"}, "via CC"},
		{"CC='gcc -wrapper nc,-l,1' make", "gcc", []string{"gcc|-wrapper|nc,-l,1"}, "via CC"},
		{"CGO_ENABLED=1 CC='nc -l 4444' go build .", "nc", []string{"nc|-l|4444"}, "via CC"},
		{"PKG_CONFIG='nc -l 1' go build .", "nc", []string{"nc|-l|1"}, "via PKG_CONFIG"},
		// make's command line: VAR=VALUE, VAR!=TEXT, $(shell TEXT).
		{"make CC='nc -l 4444' x", "nc", []string{"nc|-l|4444"}, "via make CC="},
		{"gmake 'CXX:=nc -l 1'", "nc", []string{"nc|-l|1"}, "via gmake CXX="},
		{"make RM='nc -l 1' clean", "nc", []string{"nc|-l|1"}, "via make RM="},
		{"RM='nc -l 1' make clean", "nc", []string{"nc|-l|1"}, "via RM"},
		{"make 'X!=nc -l 1'", "nc", []string{"nc|-l|1"}, "via make X !="},
		{"make 'X:=$(shell nc -l 1)'", "nc", []string{"nc|-l|1"}, "via make X= $(shell)"},
		{"make --eval 'X != nc -l 1'", "nc", []string{"nc|-l|1"}, "via make --eval !="},
		{"make SHELL='nc -l 1'", "nc", []string{"nc|-l|1"}, "via make SHELL="},
		{"MAKEFLAGS=' -- CC=nc\\ -l\\ 1' make x", "nc", []string{"nc|-l|1"}, "via MAKEFLAGS CC="},
		// cargo runs its compiler, runner and linker directly.
		{"RUSTC='nc -l 4444' cargo build", "nc", []string{"nc|-l|4444"}, "via RUSTC"},
		{"RUSTDOC='nc -l 4444' cargo doc", "nc", []string{"nc|-l|4444"}, "via RUSTDOC"},
		{"CARGO_BUILD_RUSTC='nc -l 4444' cargo build", "nc", []string{"nc|-l|4444"}, "via CARGO_BUILD_RUSTC"},
		{"CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER=/tmp/w cargo build", "w", []string{"/tmp/w"}, "via CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER"},
		{"CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER='nc -l 4444' cargo run", "nc", []string{"nc|-l|4444"}, "via CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER"},
		{"CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=/tmp/ld cargo build", "ld", []string{"/tmp/ld"}, "via CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER"},
		{"CARGO_HOST_LINKER=./x cargo build", "x", []string{"./x"}, "via CARGO_HOST_LINKER"},
		{"CARGO_REGISTRY_CREDENTIAL_PROVIDER='cargo:token-from-stdout nc -l 1' cargo publish", "nc", []string{"nc|-l|1"}, "via CARGO_REGISTRY_CREDENTIAL_PROVIDER"},
		{"CARGO_REGISTRIES_MY_CREDENTIAL_PROVIDER='/tmp/p' cargo publish", "p", []string{"/tmp/p"}, "via CARGO_REGISTRIES_MY_CREDENTIAL_PROVIDER"},
		{`cargo --config 'target.x86_64-unknown-linux-gnu.runner="nc -l 4444"' run`, "nc", []string{"nc|-l|4444"}, "via cargo --config target.x86_64-unknown-linux-gnu.runner"},
		{`cargo build --config 'build.rustc="/tmp/evil"'`, "evil", []string{"/tmp/evil"}, "via cargo --config build.rustc"},
		{`cargo build --config=build.rustc-wrapper='"nc -l 1"'`, "nc", []string{"nc|-l|1"}, "via cargo --config build.rustc-wrapper"},
		{`cargo build --config "build . rustc-workspace-wrapper = 'nc -l 1'"`, "nc", []string{"nc|-l|1"}, "via cargo --config build.rustc-workspace-wrapper"},
		{`cargo doc --config 'build.rustdoc="nc -l 1"'`, "nc", []string{"nc|-l|1"}, "via cargo --config build.rustdoc"},
		{`cargo test --config "target.'cfg(unix)'.runner=['nc', '-l', '1']"`, "nc", []string{"nc|-l|1"}, "via cargo --config target.cfg(unix).runner"},
		// An inline table is read leaf by leaf (cargo's TOML, go-toml here).
		{`cargo build --config 'target.x86_64-unknown-linux-gnu={runner="nc -l 1"}'`, "nc", []string{"nc|-l|1"}, "via cargo --config target.x86_64-unknown-linux-gnu.runner"},
		{`cargo build --config 'build={rustc="/tmp/evil", jobs=2}'`, "evil", []string{"/tmp/evil"}, "via cargo --config build.rustc"},
		{`cargo build --config 'target."x86_64-unknown-linux-gnu".linker="/tmp/ld"'`, "ld", []string{"/tmp/ld"}, "via cargo --config target.x86_64-unknown-linux-gnu.linker"},
		{`cargo build --config 'host.linker="/tmp/ld"'`, "ld", []string{"/tmp/ld"}, "via cargo --config host.linker"},
		{`cargo publish --config 'registry.credential-provider="cargo:token-from-stdout nc -l 1"'`, "nc", []string{"nc|-l|1"}, "via cargo --config registry.credential-provider"},
		{`cargo publish --config 'registries.x.credential-provider=["/tmp/p", "a"]'`, "p", []string{"/tmp/p|a"}, "via cargo --config registries.x.credential-provider"},
		{`cargo publish --config 'registry.global-credential-providers=["cargo:token", "nc -l 1"]'`, "nc", []string{"nc|-l|1"}, "via cargo --config registry.global-credential-providers"},
		{`cargo publish --config 'credential-alias.x="nc -l 1"'`, "nc", []string{"nc|-l|1"}, "via cargo --config credential-alias.x"},
		{`cargo doc --open --config 'doc.browser="nc -l 1"'`, "nc", []string{"nc|-l|1"}, "via cargo --config doc.browser"},
		{`cargo build --config 'env.CC="nc -l 1"'`, "nc", []string{"nc|-l|1"}, "via cargo --config env.CC"},
		{`cargo build --config 'build.rustc="n\u0063"'`, "nc", []string{"nc"}, "via cargo --config build.rustc"},
		{"./configure --prefix=/usr CC='nc -l 1'", "nc", []string{"nc|-l|1"}, "via configure CC="},
		// Options that make the compiler run a program, and make variables
		// holding shell syntax (recipes pass them to /bin/sh).
		{"CFLAGS='-O2 -wrapper nc,-l,1' make x", "nc", []string{"nc|-l|1"}, "via CFLAGS -wrapper"},
		{"CGO_LDFLAGS='--ld-path=/tmp/ld' go build .", "ld", []string{"/tmp/ld"}, "via CGO_LDFLAGS --ld-path"},
		{"CC='gcc -wrapper nc,-l,1' make", "nc", []string{"nc|-l|1"}, "via CC -wrapper"},
		{"make CFLAGS='-O2; nc -l 1' x", "nc", []string{"nc|-l|1"}, "via make CFLAGS="},
		{"make 'FOO=$$(nc -l 1)' x", "nc", []string{"nc|-l|1"}, "via make FOO="},
		{"OPTS='`nc -l 1`' make x", "nc", []string{"nc|-l|1"}, "via OPTS"},
		{"RUSTFLAGS='-C linker=/tmp/ld' cargo build", "ld", []string{"/tmp/ld"}, "via RUSTFLAGS -C linker"},
		{"CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS=-Clinker=/tmp/ld cargo build", "ld", []string{"/tmp/ld"}, "via CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS -C linker"},
		{"CARGO_ENCODED_RUSTFLAGS=$'-C\x1flinker=/tmp/ld' cargo build", "ld", []string{"/tmp/ld"}, "via CARGO_ENCODED_RUSTFLAGS -C linker"},
		{`cargo build --config 'build.rustflags=["-C", "linker=/tmp/ld"]'`, "ld", []string{"/tmp/ld"}, "via cargo --config build.rustflags -C linker"},
		{`cargo build --config 'target.x86_64-unknown-linux-gnu.rustflags="-Clinker=/tmp/ld"'`, "ld", []string{"/tmp/ld"}, "via cargo --config target.x86_64-unknown-linux-gnu.rustflags -C linker"},
	}
	for _, tt := range tests {
		parts := analyze(tt.text)
		checkInvariants(t, tt.text, parts)
		p := partWith(t, parts, tt.prog)
		if got := views(p); !equal(got, tt.want) {
			t.Errorf("%q: views %q, want %q", tt.text, got, tt.want)
		}
		if got := p.Facets[0].Detail; got != tt.detail {
			t.Errorf("%q: detail %q, want %q", tt.text, got, tt.detail)
		}
	}
}

// A --config naming a file, or a setting whose value cannot be read, is
// opaque; the decision for everyday values is unchanged.
func TestBuildToolConfigs(t *testing.T) {
	tests := []struct {
		text string
		want action.Kind // "" for no other command and no opaque facet
	}{
		{"cargo build --config extra.toml", action.ShellOpaque},
		{"cargo --config=/tmp/c.toml run", action.ShellOpaque},
		{`cargo build --config 'include="/tmp/c.toml"'`, action.ShellOpaque},
		{`cargo build --config 'build.rustc=["a", 1]'`, action.ShellOpaque},
		{"CC=$X make", action.ShellOpaque},
		{"make CC=$X", action.ShellOpaque},
		{"CC=${CC:-$(nc -l 1)} make", action.NetworkListen},
		{"make CC=\"${CC:-nc -l 1}\"", action.ShellOpaque},
		{"CC=$CC make", ""},
		{"make CC=\"$CC\" CXX=${CXX}", ""},
		{"CC=${CC:-gcc} make", ""},
		{"CFLAGS='-B/tmp/x' make", action.ShellOpaque},
		{"CGO_CFLAGS=-fplugin=/tmp/p.so go build .", action.ShellOpaque},
		{"RUSTFLAGS=-Zcodegen-backend=/tmp/b.so cargo build", action.ShellOpaque},
		{"./configure --prefix=/usr CC=gcc CFLAGS=-O2", ""},
		{"CFLAGS='-O2 -Wall' make", ""},
		{"make CFLAGS='-O2 -g -DX=1' LDFLAGS='-Wl,-rpath,/usr/lib'", ""},
		{"CGO_CFLAGS='-O2 -g' go build .", ""},
		{"RUSTFLAGS='-C target-cpu=native' cargo build", ""},
		{"RUSTFLAGS='-C linker=clang' cargo build", ""},
		{"make install INSTALL='install -m 644'", ""},
		{"CC=clang make", ""},
		{"make CC=gcc", ""},
		{"CC=gcc-12 make x", ""},
		{"CC='ccache gcc' make", ""},
		{"CC='gcc -m32 -std=gnu99' make", ""},
		{"CC='zig cc' make", ""},
		{"CC=/usr/bin/x86_64-linux-gnu-gcc-12 make", ""},
		{"CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ make", ""},
		{"CROSS_COMPILE=aarch64-linux-gnu- make", ""},
		{"CXX=g++ cmake ..", ""},
		{"export CC=clang CXX=clang++", ""},
		{"CPP='gcc -E' ./configure", ""},
		{"CONFIG_SHELL=/bin/bash ./configure", ""},
		{"PYTHON=python3 make", ""},
		{"make PYTHON=python3.11 RM='rm -f'", ""},
		{"RUSTFLAGS=-Dwarnings cargo build", ""},
		{"RUSTC=rustc cargo build", ""},
		{"RUSTC=/home/u/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/rustc cargo build", ""},
		{"CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=clang cargo build", ""},
		{"cargo build --release", ""},
		{"cargo build --config build.jobs=2", ""},
		{`cargo build --config 'profile.release.lto="thin"'`, ""},
		{`cargo build --config 'target.x86_64-unknown-linux-gnu.linker="clang"'`, ""},
		{`cargo publish --config 'registry.credential-provider="cargo:token"'`, ""},
		{"CARGO_TARGET_DIR=target2 cargo build", ""},
		{"cargo run -- --config x.toml", ""},
		{"make -j4 V=1", ""},
		{"make PREFIX=/usr install", ""},
		{"make -C sub DESTDIR=/tmp/x install", ""},
	}
	for _, tt := range tests {
		parts := analyze(tt.text)
		if tt.want == "" && len(parts) != 1 {
			t.Errorf("%q: %d parts, want 1: %s", tt.text, len(parts), dump(parts))
		}
		checkJudged(t, tt.text, parts, tt.want, judgedKinds)
	}
}
