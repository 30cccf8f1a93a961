package shell

import (
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/safeclaw/safeclaw/shell/catalog"
)

// Build tools run the programs that variables and options name: make runs
// $(CC) and the other implicit-rule programs through /bin/sh, configure
// re-runs itself with $CONFIG_SHELL, go runs $CC for cgo, the cc crate
// runs $CC and $TARGET_CC, and cargo runs $RUSTC, a target's runner and
// linker and the programs its --config KEY=VALUE settings name. A value
// that names an ordinary toolchain program (CC=clang, CC="ccache gcc",
// PYTHON=python3) is what the build tool runs anyway and is left alone;
// any other value is a command of its own, analysed as shell text where
// make would run it through /bin/sh and as a program and its arguments
// where cargo runs it directly.

// makeProgramVars are the program variables of make's implicit rules and
// autoconf's generated makefiles that other build tools read from the
// environment too (go's CC, the cc crate's CC/AR, the kernel's HOSTCC).
// Their *_FOR_BUILD and *_FOR_TARGET forms and their HOST, TARGET_, HOST_
// and BUILD_ prefixed forms are program variables as well.
var makeProgramVars = setOf("CC", "CXX", "CPP", "CXXCPP", "LD", "AR", "AS", "FC", "F77", "F90", "F95",
	"OBJC", "OBJCXX", "OBJCPP", "RANLIB", "STRIP", "OBJCOPY", "OBJDUMP", "NM", "READELF", "DLLTOOL",
	"WINDRES", "YACC", "BISON", "LEX", "FLEX", "MAKEINFO", "TEXI2DVI", "CWEAVE", "CTANGLE", "M2C",
	"PKG_CONFIG", "CCLD", "CXXLD", "NVCC", "CONFIG_SHELL", "LIBTOOL", "GCCGO", "GOC", "GNATMAKE", "GDC")

// makeOnlyVars are make's program variables with names too common to
// treat as commands outside make: make reads them from its command line
// and (overriding its own defaults) from the environment.
var makeOnlyVars = setOf("RM", "RC", "GET", "CO", "PC", "LINT", "TEX", "WEAVE", "TANGLE", "MAKE", "INSTALL",
	"INSTALL_PROGRAM", "INSTALL_DATA", "INSTALL_SCRIPT", "MKDIR_P", "LN_S", "SED", "GREP", "EGREP",
	"FGREP", "AWK", "M4", "PERL", "PYTHON", "CTAGS", "ETAGS")

// cargoProgramVars are cargo's environment variables that name a program
// it runs (directly, its value split into words): the compiler, rustdoc,
// the wrappers and linkers, and the browser cargo doc --open starts.
var cargoProgramVars = setOf("RUSTC", "RUSTDOC", "RUSTC_LINKER", "CARGO_BUILD_RUSTC", "CARGO_BUILD_RUSTDOC",
	"CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER", "CARGO_HOST_LINKER", "CARGO_DOC_BROWSER",
	"CARGO_REGISTRY_CREDENTIAL_PROVIDER", "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS")

// programVar says whether an environment variable names a program a build
// tool runs, and whether that program's value is split into words (cargo)
// rather than run as shell text (make).
func programVar(name string) (isProg, words bool) {
	if cargoProgramVars[name] {
		return true, true
	}
	if t, ok := strings.CutPrefix(name, "CARGO_TARGET_"); ok && (strings.HasSuffix(t, "_RUNNER") || strings.HasSuffix(t, "_LINKER")) && len(t) > len("_RUNNER") {
		return true, true
	}
	if t, ok := strings.CutPrefix(name, "CARGO_REGISTRIES_"); ok && strings.HasSuffix(t, "_CREDENTIAL_PROVIDER") && len(t) > len("_CREDENTIAL_PROVIDER") {
		return true, true
	}
	if t, ok := strings.CutPrefix(name, "CARGO_CREDENTIAL_ALIAS_"); ok && t != "" {
		return true, true
	}
	return makeProgramVars[makeBaseVar(name)], false
}

// makeBaseVar strips the build/host/target decorations off a program
// variable's name: CC_FOR_BUILD, HOSTCC, TARGET_CC and CC_x86_64_unknown_linux_gnu
// (the cc crate's per-target form) are all CC.
func makeBaseVar(name string) string {
	if makeProgramVars[name] || makeOnlyVars[name] {
		return name
	}
	for _, suf := range []string{"_FOR_BUILD", "_FOR_TARGET", "_FOR_HOST"} {
		if b, ok := strings.CutSuffix(name, suf); ok {
			return b
		}
	}
	for _, pre := range []string{"HOST_", "TARGET_", "BUILD_", "HOST"} {
		if b, ok := strings.CutPrefix(name, pre); ok && makeProgramVars[b] {
			return b
		}
	}
	for _, b := range []string{"CC", "CXX", "AR", "RANLIB"} {
		// CC_aarch64-unknown-linux-gnu, CC_aarch64_unknown_linux_gnu.
		if t, ok := strings.CutPrefix(name, b+"_"); ok && strings.Count(t, "_")+strings.Count(t, "-") >= 2 {
			return b
		}
	}
	return name
}

// buildProgramEnv records, for an environment assignment NAME=VAL, the
// command a build tool runs when NAME is one of its program variables. It
// reports whether NAME is one.
func buildProgramEnv(w word, name, val string, ch *chain, origin string) bool {
	if name == "CROSS_COMPILE" {
		// The kernel's makefiles run $(CROSS_COMPILE)gcc, ld, ...
		if val != "" && !toolchainValue(val+"gcc") {
			addText(ch, w, val+"gcc", origin)
		}
		return true
	}
	if compilerFlagVars[name] {
		compilerFlagEscapes(w, val, ch, origin)
		return true
	}
	if rustFlagVar(name) {
		sep := " "
		if name == "CARGO_ENCODED_RUSTFLAGS" {
			sep = "\x1f"
		}
		rustFlagEscapes(w, splitNonEmpty(val, sep), ch, origin)
		return true
	}
	isProg, words := programVar(name)
	if !isProg {
		return false
	}
	if !selfReference(name, w) {
		addProgram(ch, w, val, words, origin)
	}
	return true
}

// selfReference reports whether an assignment's value is the variable's
// own value from the environment ($CC, "${CC}", ${CC:-gcc}): the program
// it names is the one the build tool would run without the assignment.
func selfReference(name string, w word) bool {
	if w.dyn == 0 {
		return false
	}
	v := strings.TrimPrefix(w.raw, name+"=")
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if v == "$"+name || v == "${"+name+"}" {
		return true
	}
	body, ok := strings.CutPrefix(v, "${"+name)
	if !ok || !strings.HasSuffix(body, "}") {
		return false
	}
	body = strings.TrimSuffix(body, "}")
	def, ok := strings.CutPrefix(strings.TrimPrefix(body, ":"), "-")
	return ok && !strings.ContainsAny(def, "${}`") && toolchainValue(def)
}

// compilerFlagVars hold options for the C compiler (make's implicit rules,
// autoconf, cgo, the cc crate).
var compilerFlagVars = setOf("CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "OBJCFLAGS", "FFLAGS", "FCFLAGS",
	"CGO_CFLAGS", "CGO_CXXFLAGS", "CGO_CPPFLAGS", "CGO_LDFLAGS", "CGO_FFLAGS", "HOSTCFLAGS", "HOSTLDFLAGS",
	"CFLAGS_FOR_BUILD", "LDFLAGS_FOR_BUILD", "TARGET_CFLAGS", "HOST_CFLAGS")

// compilerFlagEscapes records what gcc and clang options in val make the
// compiler run: -wrapper PROG,ARGS runs PROG with the compiler's tools,
// -fuse-ld=PATH and --ld-path=PATH run that linker; -B (programs from a
// directory), -fplugin, -specs, a linker plugin and @FILE (options from a
// file) load what safeclaw does not read: opaque.
func compilerFlagEscapes(w word, val string, ch *chain, origin string) {
	f := strings.Fields(val)
	for i := 0; i < len(f); i++ {
		o := f[i]
		switch {
		case o == "-wrapper" && i+1 < len(f):
			i++
			addWords(ch, w, strings.Split(f[i], ","), origin+" -wrapper")
		case strings.HasPrefix(o, "--ld-path="), strings.HasPrefix(o, "-fuse-ld=") && strings.Contains(o, "/"):
			_, p, _ := strings.Cut(o, "=")
			addWords(ch, w, []string{p}, origin+" "+o[:strings.IndexByte(o, '=')])
		case strings.HasPrefix(o, "-B"), o == "--prefix", strings.HasPrefix(o, "--prefix="),
			strings.HasPrefix(o, "-fplugin"), strings.HasPrefix(o, "-specs"), strings.HasPrefix(o, "--specs"),
			strings.HasPrefix(o, "-Wl,") && strings.Contains(o, "plugin"), strings.HasPrefix(o, "@"):
			ch.facets = append(ch.facets, opaqueFacet(w.raw, origin+" "+clip(o)+" makes the compiler load or run files safeclaw does not read"))
		}
	}
}

// rustFlagVar reports whether an environment variable holds rustc's
// options.
func rustFlagVar(name string) bool {
	switch name {
	case "RUSTFLAGS", "RUSTDOCFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_BUILD_RUSTDOCFLAGS", "CARGO_ENCODED_RUSTFLAGS",
		"CARGO_ENCODED_RUSTDOCFLAGS", "CARGO_HOST_RUSTFLAGS":
		return true
	}
	return strings.HasPrefix(name, "CARGO_TARGET_") && strings.HasSuffix(name, "_RUSTFLAGS")
}

// rustFlagEscapes records the linker rustc's -C linker=PATH runs; a
// codegen backend (-Z codegen-backend=PATH) loads a library safeclaw does
// not read: opaque.
func rustFlagEscapes(w word, flags []string, ch *chain, origin string) {
	for i := 0; i < len(flags); i++ {
		o := flags[i]
		var opt string
		switch {
		case (o == "-C" || o == "--codegen" || o == "-Z") && i+1 < len(flags):
			i++
			opt = o[:2] + flags[i]
		case strings.HasPrefix(o, "--codegen="):
			opt = "-C" + strings.TrimPrefix(o, "--codegen=")
		case strings.HasPrefix(o, "-C"), strings.HasPrefix(o, "-Z"):
			opt = o
		default:
			continue
		}
		switch {
		case strings.HasPrefix(opt, "-Clinker="):
			if v := strings.TrimPrefix(opt, "-Clinker="); !toolchainValue(v) {
				addWords(ch, w, []string{v}, origin+" -C linker")
			}
		case strings.HasPrefix(opt, "-Zcodegen-backend="), strings.HasPrefix(opt, "-Zllvm-plugins"):
			ch.facets = append(ch.facets, opaqueFacet(w.raw, origin+" "+clip(opt)+" makes rustc load a library safeclaw does not read"))
		}
	}
}

// addWords records a program and its arguments (taken from w).
func addWords(ch *chain, w word, fields []string, origin string) {
	if len(fields) == 0 || fields[0] == "" {
		return
	}
	ws := make([]word, len(fields))
	for i, f := range fields {
		ws[i] = word{s: f, raw: f, dyn: w.dyn}
	}
	ch.extras = append(ch.extras, extra{words: ws, origin: origin})
}

// splitNonEmpty splits s on sep, dropping empty pieces.
func splitNonEmpty(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// addProgram records val (taken from w) as a program a build tool runs:
// shell text, or a program and its arguments when words is set. A value
// naming an ordinary toolchain program is left alone; so is one of
// cargo's built-in credential providers.
func addProgram(ch *chain, w word, val string, words bool, origin string) {
	if strings.TrimSpace(val) == "" || w.dyn == 0 && toolchainValue(val) {
		return
	}
	if !words {
		addText(ch, w, val, origin)
		compilerFlagEscapes(w, val, ch, origin)
		return
	}
	fields := strings.Fields(val)
	if rest, ok := strings.CutPrefix(fields[0], "cargo:"); ok {
		// cargo:token, cargo:libsecret...; cargo:token-from-stdout PROG ARGS.
		if rest != "token-from-stdout" || len(fields) < 2 {
			return
		}
		fields = fields[1:]
	}
	addWords(ch, w, fields, origin)
}

// toolchainNames are the programs build tools are configured to run in
// everyday use: compilers, binutils, parser generators, the tools
// autoconf's makefiles name, and launchers' targets.
var toolchainNames = setOf("cc", "c++", "gcc", "g++", "cpp", "clang", "clang++", "clang-cpp", "clang-cl",
	"tcc", "icc", "icpc", "icx", "icpx", "gfortran", "g77", "f77", "f90", "f95", "ifort", "ifx", "flang",
	"flang-new", "nvcc", "hipcc", "emcc", "em++", "emar", "emranlib", "gccgo", "gdc", "gnatmake", "cl",
	"link", "lib", "ld", "lld", "ld.lld", "ld.bfd", "ld.gold", "gold", "mold", "ld64", "ld64.lld", "ar",
	"ranlib", "as", "nm", "strip", "objcopy", "objdump", "readelf", "dlltool", "windres", "rc", "yacc",
	"byacc", "bison", "lex", "flex", "makeinfo", "texi2dvi", "tex", "cweave", "ctangle", "weave", "tangle",
	"pkg-config", "pkgconf", "m4", "libtool", "rustc", "rustdoc", "rust-lld", "rm", "install", "ginstall",
	"mkdir", "ln", "sed", "gsed", "grep", "ggrep", "egrep", "fgrep", "awk", "gawk", "mawk", "nawk", "perl",
	"python", "make", "gmake", "sh", "bash", "dash", "ksh", "zsh", "ctags", "etags", "true", "cc1")

// toolchainLaunchers run the toolchain program named after them.
var toolchainLaunchers = setOf("ccache", "sccache", "distcc", "icecc", "buildcache", "zig", "xcrun")

// toolchainValue reports whether val names an ordinary toolchain program
// (a bare name or one in a system or toolchain directory, perhaps with a
// target prefix or version suffix, behind a compiler cache) with only
// harmless options.
func toolchainValue(val string) bool {
	if strings.ContainsAny(val, "`$;|&<>(){}\\'\"*?[]#~!\n\r") {
		return false
	}
	f := strings.Fields(val)
	if len(f) == 0 {
		return true
	}
	for len(f) > 1 && trustedToolPath(f[0]) && toolchainLaunchers[path.Base(f[0])] {
		f = f[1:]
	}
	if !trustedToolPath(f[0]) || !toolchainName(path.Base(f[0])) {
		return false
	}
	for _, o := range f[1:] {
		if !harmlessToolOption(o) {
			return false
		}
	}
	return true
}

// toolchainName reports whether a program's base name is a toolchain
// program's: gcc, gcc-12, x86_64-linux-gnu-gcc-12, llvm-ar, python3.11.
func toolchainName(b string) bool {
	for {
		if toolchainNames[b] {
			return true
		}
		t := strings.TrimRight(b, "0123456789.")
		t = strings.TrimSuffix(t, "-")
		if t != b && t != "" {
			b = t
			continue
		}
		i := strings.IndexByte(b, '-')
		if i < 0 {
			return false
		}
		b = b[i+1:]
	}
}

// trustedToolPath reports whether a program word is a bare name or a path
// in a system or toolchain directory (not one a command could have just
// written, such as /tmp or the project).
func trustedToolPath(p string) bool {
	if !strings.Contains(p, "/") {
		return true
	}
	if strings.Contains(p, "/../") || strings.Contains(p, "/./") {
		return false
	}
	for _, d := range []string{"/usr/", "/bin/", "/sbin/", "/opt/", "/nix/store/", "/Library/Developer/",
		"/Applications/Xcode", "/home/linuxbrew/"} {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return strings.HasPrefix(p, "/") && (strings.Contains(p, "/.rustup/toolchains/") || strings.Contains(p, "/.cargo/bin/"))
}

// harmlessToolOption reports whether an option given with a toolchain
// program is one that does not make it run or load another program
// (gcc's -wrapper, -B, -fplugin and -specs, a linker path in -fuse-ld, or
// options passed on to the linker or assembler do).
func harmlessToolOption(o string) bool {
	switch o {
	case "-E", "-P", "-m", "-f", "-rf", "-fr", "-c", "-p", "-s", "-sf", "-w", "-v", "-ansi", "-pedantic",
		"-pthread", "-pipe", "-static", "-shared", "-traditional-cpp", "-C", "-nostdinc", "cc", "c++", "ar",
		"ranlib", "-y", "-d":
		return true
	}
	if strings.Trim(o, "0123456789") == "" {
		return true // install -m 644
	}
	if strings.HasPrefix(o, "-fplugin") || strings.HasPrefix(o, "-fuse-ld=") && strings.Contains(o, "/") ||
		strings.HasPrefix(o, "-Wl,") || strings.HasPrefix(o, "-Wa,") || strings.HasPrefix(o, "-Wp,") {
		return false
	}
	for _, p := range []string{"-m", "-std=", "--std=", "-O", "-g", "-D", "-U", "-I", "-W", "-f", "--target=", "-stdlib=", "-march=", "-mtune="} {
		if strings.HasPrefix(o, p) && len(o) > len(p) {
			return true
		}
	}
	return false
}

// makeEscapes records what make runs from its command line and
// environment: SHELL=PROG (every recipe), --eval recipes, program
// variables (make VAR=VALUE, VAR=VALUE make), a VAR!=TEXT definition
// (TEXT runs at once) and $(shell TEXT) in a definition, including those
// MAKEFLAGS passes after "--".
func (a *analyzer) makeEscapes(prog string, ws []word, ch *chain) {
	for i := 1; i < len(ws); i++ {
		if ws[i].s == "--" {
			for _, w := range ws[i+1:] {
				makeDefinition(prog, w, ch, prog+" ")
			}
			break
		}
		if !strings.HasPrefix(ws[i].s, "-") {
			makeDefinition(prog, ws[i], ch, prog+" ")
			continue
		}
		val, w, ok := optionValue(ws, &i, []string{"-E", "--eval"}, nil)
		if !ok {
			continue
		}
		makeEvalText(w, val, ch, prog+" --eval")
	}
	// The environment: make-only program variables (the others are
	// commands whatever runs), and definitions in MAKEFLAGS.
	lookup := func(name string) (word, bool) {
		if w, ok := ch.env[name]; ok {
			return w, true
		}
		w, ok := a.exported[name]
		return w, ok
	}
	for name := range makeOnlyVars {
		if w, ok := lookup(name); ok && !selfReference(name, w) {
			_, val, _ := strings.Cut(w.s, "=")
			addProgram(ch, w, val, false, name)
		}
	}
	// Any other variable given to make may be used in a recipe.
	for name, w := range ch.env {
		if isProg, words := programVar(name); !makeOnlyVars[name] && (!isProg || words) && name != "CROSS_COMPILE" {
			_, val, _ := strings.Cut(w.s, "=")
			x := w
			x.s = val
			makeValueText(x, val, ch, name)
		}
	}
	for _, name := range []string{"MAKEFLAGS", "GNUMAKEFLAGS"} {
		w, ok := lookup(name)
		if !ok {
			continue
		}
		_, val, _ := strings.Cut(w.s, "=")
		// Options first (make reads --eval there too), then definitions
		// (after "--", or any word with '=' that is not an option).
		var fw []word
		for _, d := range makeFlagsWords(val) {
			x := w
			x.s = d
			fw = append(fw, x)
		}
		// make reads a definition's value whole, spaces and all
		// (MAKEFLAGS='X=$(shell nc -l 1)'): scan the whole text too.
		whole := w
		whole.s = val
		makeShellCalls(whole, val, ch, name)
		if k := strings.Index(val, "!="); k > 0 {
			addText(ch, whole, val[k+2:], name+" !=")
		}
		defs := false
		for i := 0; i < len(fw); i++ {
			switch s := fw[i].s; {
			case s == "--":
				defs = true
			case defs || !strings.HasPrefix(s, "-"):
				makeDefinition(prog, fw[i], ch, name+" ")
			default:
				if ev, x, ok := optionValue(fw, &i, []string{"-E", "--eval"}, nil); ok {
					makeEvalText(x, ev, ch, name+" --eval")
				}
			}
		}
	}
}

// makeEvalText records what make --eval TEXT runs: its recipes, each
// $(shell ...) and NAME != TEXT.
func makeEvalText(w word, val string, ch *chain, origin string) {
	for _, recipe := range makeRecipes(val) {
		addText(ch, w, recipe, origin)
	}
	for line := range strings.Lines(val) {
		line = strings.TrimRight(line, "\r\n")
		makeShellCalls(w, line, ch, origin)
		if k := strings.Index(line, "!="); k > 0 && !strings.HasPrefix(line, "\t") && !strings.ContainsAny(line[:k], ":#;") {
			addText(ch, w, line[k+2:], origin+" !=")
		}
	}
}

// makeFlagsWords splits MAKEFLAGS' definitions on blanks not escaped with
// a backslash.
func makeFlagsWords(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == ' ' || c == '\t':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// makeDefinition handles one variable definition make reads from its
// command line (NAME=VALUE, NAME:=VALUE, NAME+=VALUE, NAME!=TEXT...).
func makeDefinition(prog string, w word, ch *chain, origin string) {
	lhs, val, ok := strings.Cut(w.s, "=")
	if !ok || lhs == "" {
		return
	}
	x := w
	x.s = val
	name := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lhs), "override "))
	if n, ok := strings.CutSuffix(name, "!"); ok {
		// NAME != TEXT runs TEXT through the shell at once.
		addText(ch, x, val, origin+n+" !=")
		return
	}
	name = strings.TrimRight(name, ":+?")
	makeShellCalls(x, val, ch, origin+name+"=")
	val = strings.TrimSpace(val)
	x.s = val
	switch isProg, words := programVar(name); {
	case name == "SHELL":
		// make runs every recipe with SHELL.
		addText(ch, x, val, origin+"SHELL=")
	case name == "CROSS_COMPILE":
		buildProgramEnv(x, name, val, ch, origin+name+"=")
	case makeOnlyVars[name] || isProg && !words:
		if !selfReference(name, w) {
			addProgram(ch, x, val, false, origin+name+"=")
		}
	default:
		if compilerFlagVars[name] {
			compilerFlagEscapes(x, val, ch, origin+name+"=")
		}
		makeValueText(x, val, ch, origin+name+"=")
	}
}

// makeValueText records a make variable's value as shell text when it
// holds shell syntax that starts commands (a ';', '|' or '&', a backquote,
// $$(...)): a recipe that uses the variable passes it to /bin/sh.
func makeValueText(w word, val string, ch *chain, origin string) {
	if strings.ContainsAny(val, ";|&`\n") || strings.Contains(val, "$$(") {
		addText(ch, w, strings.ReplaceAll(val, "$$", "$"), origin)
	}
}

// makeShellCalls records the text of each $(shell TEXT) in a make value.
func makeShellCalls(w word, val string, ch *chain, origin string) {
	for _, open := range []string{"$(shell ", "${shell ", "$(shell\t", "${shell\t"} {
		rest := val
		for {
			i := strings.Index(rest, open)
			if i < 0 {
				break
			}
			rest = rest[i+len(open):]
			closer := byte(')')
			if open[1] == '{' {
				closer = '}'
			}
			depth, end := 1, len(rest)
			for j := 0; j < len(rest) && end == len(rest); j++ {
				switch rest[j] {
				case open[1]:
					depth++
				case closer:
					if depth--; depth == 0 {
						end = j
					}
				}
			}
			addText(ch, w, rest[:end], origin+" $(shell)")
			rest = rest[end:]
		}
	}
}

// cargoEscapes records the programs cargo's --config KEY=VALUE settings
// make it run. A --config naming a file makes cargo read settings
// safeclaw does not: opaque.
func cargoEscapes(ws []word, ch *chain) {
	for i := 1; i < len(ws); i++ {
		if ws[i].s == "--" {
			return
		}
		val, w, ok := optionValue(ws, &i, []string{"--config"}, nil)
		if !ok {
			continue
		}
		settings, ok := parseCargoConfig(val)
		if !ok {
			ch.facets = append(ch.facets, opaqueFacet(w.raw, "cargo --config reads settings from a file safeclaw does not read: "+clip(val)))
			continue
		}
		for _, st := range settings {
			cargoSettingEscapes(w, st, ch, "cargo --config")
		}
	}
}

// cargoConfigFiles records what cargo's configuration files make it run:
// .cargo/config.toml and .cargo/config in the working directory and in
// every directory above it, as cargo reads them. An agent can write the
// project's, and cargo run then runs the target runner it names.
func (a *analyzer) cargoConfigFiles(ch *chain) {
	read := a.readFunc()
	if read == nil || !filepath.IsAbs(a.cwd) {
		return
	}
	for d := filepath.Clean(a.cwd); ; d = filepath.Dir(d) {
		for _, name := range []string{"config.toml", "config"} {
			file := filepath.Join(d, ".cargo", name)
			w := lit(file)
			data, err := read(file)
			switch {
			case err != nil && catalog.Missing(err):
				continue
			case err != nil:
				ch.facets = append(ch.facets, opaqueFacet(file, "cargo's configuration "+file+" cannot be read: "+err.Error()))
				continue
			case len(data) > catalog.MaxFileBytes:
				ch.facets = append(ch.facets, opaqueFacet(file, "cargo's configuration "+file+" is too large to read"))
				continue
			}
			settings, ok := parseCargoConfig(string(data))
			if !ok {
				if strings.TrimSpace(string(data)) != "" {
					ch.facets = append(ch.facets, opaqueFacet(file, "cargo's configuration "+file+" is not TOML safeclaw can read"))
				}
				continue
			}
			for _, st := range settings {
				cargoSettingEscapes(w, st, ch, file)
			}
		}
		if filepath.Dir(d) == d {
			return
		}
	}
}

// cargoSettingEscapes records what one --config setting makes cargo run.
func cargoSettingEscapes(w word, st cargoSetting, ch *chain, from string) {
	key, vals, parsed := st.key, st.vals, st.parsed
	name := strings.Join(key, ".")
	origin := from + " " + name
	switch {
	case key[0] == "include":
		ch.facets = append(ch.facets, opaqueFacet(w.raw, origin+" reads settings from a file safeclaw does not read: "+clip(w.s)))
	case key[0] == "env" && (len(key) == 2 || len(key) == 3 && key[2] == "value"):
		// [env] sets the environment of the build scripts and the
		// compiler cargo runs (the cc crate reads CC from it); a value
		// may be a table: NAME = { value = "...", relative = true }.
		if parsed && len(vals) == 1 {
			x := w
			x.s = key[1] + "=" + vals[0]
			buildProgramEnv(x, key[1], vals[0], ch, origin)
			if why := catalog.CodeLoadingEnv(key[1], vals[0]); why != "" {
				ch.facets = append(ch.facets, opaqueFacet(w.raw, origin+": "+why))
			}
		}
	case len(key) == 2 && (key[0] == "build" || key[0] == "host") && (key[1] == "rustflags" || key[1] == "rustdocflags") ||
		len(key) == 3 && key[0] == "target" && key[2] == "rustflags":
		if parsed && len(vals) == 1 {
			vals = strings.Fields(vals[0])
		}
		rustFlagEscapes(w, vals, ch, origin)
	case !cargoProgramKey(key):
	case !parsed:
		ch.facets = append(ch.facets, opaqueFacet(w.raw, origin+" has a value safeclaw cannot read: "+clip(w.s)))
	case name == "registry.global-credential-providers":
		// Each element is a provider and its arguments.
		for _, v := range vals {
			addProgram(ch, w, v, true, origin)
		}
	case len(vals) == 1:
		// A string is split on blanks; an array is the words themselves.
		addProgram(ch, w, vals[0], true, origin)
	case len(vals) > 0 && (w.dyn != 0 || strings.ContainsAny(strings.Join(vals, ""), " \t\n") || !toolchainValue(strings.Join(vals, " "))):
		ws := make([]word, len(vals))
		for k, v := range vals {
			ws[k] = word{s: v, raw: v, dyn: w.dyn}
		}
		ch.extras = append(ch.extras, extra{words: ws, origin: origin})
	}
}

// configureEscapes records the program variables an autoconf configure
// script is given as NAME=VALUE arguments (./configure CC=clang).
func configureEscapes(ws []word, ch *chain) {
	for _, w := range ws[1:] {
		name, val, ok := strings.Cut(w.s, "=")
		if !ok || strings.HasPrefix(name, "-") {
			continue
		}
		x := w
		x.s = val
		if isProg, words := programVar(name); isProg && !words && !selfReference(name, w) {
			addProgram(ch, x, val, false, "configure "+name+"=")
		}
	}
}

// cargoProgramKey reports whether a cargo configuration key names a
// program cargo runs.
func cargoProgramKey(k []string) bool {
	switch {
	case len(k) == 2 && k[0] == "build":
		return k[1] == "rustc" || k[1] == "rustc-wrapper" || k[1] == "rustc-workspace-wrapper" || k[1] == "rustdoc"
	case len(k) == 3 && k[0] == "target":
		return k[2] == "runner" || k[2] == "linker"
	case len(k) == 2 && k[0] == "host", len(k) == 3 && k[0] == "host":
		return k[len(k)-1] == "linker"
	case len(k) == 2 && k[0] == "registry":
		return k[1] == "credential-provider" || k[1] == "global-credential-providers"
	case len(k) == 3 && k[0] == "registries":
		return k[2] == "credential-provider"
	case len(k) == 2 && k[0] == "credential-alias":
		return true
	case len(k) == 2 && k[0] == "doc":
		return k[1] == "browser"
	}
	return false
}

// cargoSetting is one leaf of a cargo --config KEY=VALUE expression: its
// dotted key, and its value's strings when it is a string or an array of
// strings (parsed false for any other value).
type cargoSetting struct {
	key    []string
	vals   []string
	parsed bool
}

// parseCargoConfig reads a --config value as cargo does: a TOML expression
// (in practice a dotted key, '=', and a value), else the path of a file
// (ok false). An inline table gives one setting per leaf.
func parseCargoConfig(s string) (settings []cargoSetting, ok bool) {
	var doc map[string]any
	if !strings.Contains(s, "=") || toml.Unmarshal([]byte(s), &doc) != nil || len(doc) == 0 {
		return nil, false
	}
	var walk func(key []string, v any)
	walk = func(key []string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				walk(append(slices.Clip(key), k), v[k])
			}
		case string:
			settings = append(settings, cargoSetting{key: key, vals: []string{v}, parsed: true})
		case []any:
			vals := make([]string, 0, len(v))
			for _, e := range v {
				str, isString := e.(string)
				if !isString {
					settings = append(settings, cargoSetting{key: key})
					return
				}
				vals = append(vals, str)
			}
			settings = append(settings, cargoSetting{key: key, vals: vals, parsed: true})
		default:
			settings = append(settings, cargoSetting{key: key})
		}
	}
	walk(nil, doc)
	return settings, true
}
