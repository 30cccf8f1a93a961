// Package shell turns shell text into parts and facets: one [action.Part]
// per simple command the shell would run, however it is spelled, each with
// the argv views a command_pattern is matched against and the facets
// (actions) a rule is matched against. [Analyze] is the only entry point;
// it never fails.
//
// It parses with mvdan.cc/sh (bash syntax; text bash rejects is re-parsed
// as zsh) and knows shell syntax, not programs: what a program does
// (python -m http.server listens on 8000) comes from the catalogue in
// shell/catalog, which [Analyze] asks about every command.
//
// # Parts
//
// Every simple command is a part: in pipelines, && || ; lists, background
// jobs, subshells, { } groups, $(...) and backticks, <(...) >(...), function
// bodies (analysed where they are defined), if/while/for/case bodies, and in
// text that another command runs as shell text. [[ ]], (( )) and let are
// parts with only a shell.execute facet (harmless, so a policy can allow
// them); a bare assignment (x=1) is a part too. A text that runs nothing
// (empty, a comment) has no parts. Substitutions run before the command
// that contains them, so their parts come first.
//
// A part's Text is the command as written, from the source positions of the
// text it appears in (the inner text for bash -c '...'; the substituted
// command line for xargs and parallel when they read literal input). When
// they read at run time, the words they add or substitute (xargs's input,
// xargs -I{}, parallel {}, fd -x {}) are paths not known statically: a
// program that writes or deletes its operands (rm, mv, sed -i, cp's
// destination) gets a shell.opaque facet for them, as rm $X does. find
// -exec {} is resolved by the catalogue instead (the paths find selects).
//
// # Views
//
// Views[0] is the argv as written (assignments included: FOO=1 cmd), then
// one view per wrapper peeled off, down to the program that runs:
// sudo -u www nc -l 80 has the views [sudo -u www nc -l 80] and [nc -l 80].
// Wrappers are peeled with their own options skipped: sudo, doas, run0,
// pkexec, env (assignments, -i, -u, -C; -S is shell text), nohup, setsid,
// timeout, nice, ionice, stdbuf, time, command (not -v/-V), exec, builtin,
// xargs, busybox and toybox applets, chroot, unshare, nsenter, flock,
// watch -x, strace, ltrace, valgrind, torsocks, proxychains, firejail,
// systemd-run, taskset, chrt, numactl, prlimit, rlwrap, screen, gosu,
// sshpass, start-stop-daemon, ip netns exec, fakeroot, proot, chpst,
// systemd-inhibit, dbus-launch, dbus-run-session, dtach, abduco, daemon,
// retry, eatmydata, tsp, reflex, entr, zellij run, corepack PM, terminal emulators
// (xterm -e, gnome-terminal --, konsole -e, ...), pm2 start, the VM and
// toolbox runners multipass exec, limactl shell, lima, orb, distrobox
// enter, toolbox run, lxc/incus exec, lxc-attach, schroot, machinectl
// shell, wsl (-e CMD), and the package runners npx,
// npm exec/x, pnpm dlx/exec, pnpx, yarn dlx/exec, bunx, bun x, uvx, uv run
// (-m MODULE and *.py become python), uv tool run, pipx run, poetry run,
// pdm run, hatch run, pipenv run, conda run, bundle exec, rbenv/pyenv/asdf
// exec, mise exec, direnv exec, nvm exec/run, and the container runners
// docker|podman|nerdctl [container] exec, docker compose exec|run,
// docker-compose exec and kubectl exec (the command inside).
//
// A command that runs shell text is not a part of its own: the text's
// commands are, and each carries the runner's views first, so that
// "bash -c *" still matches them. This covers sh, bash, zsh, dash, ksh and
// the other shells with -c (any option cluster: -lc, -ic, -xe -c), a shell
// reading a here-document, here-string or literal pipe (echo CMD | sh),
// su/runuser/sg -c, eval, watch, watchexec, entr -s, flock -c, script -c,
// env -S, npx -c, tmux (and byobu) new-session/send-keys/run-shell/
// if-shell/display-popup/pipe-pane, trap ACTION SIG, wsl CMD LINE,
// vagrant ssh -c, an alias this text defined, pm2 start 'CMD',
// at and batch (commands on stdin), GNU parallel, xargs fed literal input,
// a shell reading an input process substitution whose output is literal
// (bash <(echo CMD), source <(printf ...), sh < <(echo CMD)), and
// ssh HOST CMD (the remote command; its facets are marked Remote). A
// shell's -c text with literal arguments after it has its positional
// parameters replaced by them (sh -c 'nc "$@"' _ -l 4444). The
// runner's own facets (ssh's network.connect, its redirections) are added
// to each of those parts. When the text runs nothing (bash -c ""), the
// runner is a part itself.
//
// Commands a part starts besides itself are parts of their own, without
// the starter's views (an allow for "find *" must not cover what find
// runs): find -exec/-execdir/-ok/-okdir, fd -x/-X, git -c (and git clone
// -c/--config) core.pager, git --exec-path=DIR SUB and GIT_EXEC_PATH=DIR
// git SUB (DIR/git-SUB, unless DIR is git's own),
// core.sshCommand, core.editor, alias.X=!cmd, credential.helper=!cmd and
// similar keys, git's ext:: remotes, GIT_SSH_COMMAND-style variables,
// ssh/scp/sftp -o ProxyCommand (run as "exec CMD"), LocalCommand and
// KnownHostsCommand, rsync -e/--rsh, and the shell escapes of other
// programs' options and arguments: tar --to-command, --checkpoint-action=exec,
// -I/--use-compress-program, --rsh-command and -F (a script), zip -TT,
// sqlite3 .shell/.system and .output/.once/.read/.import "|CMD", less +!CMD,
// man -P/--pager and -H, tcpdump -z, strace -o "|CMD", mysql/mariadb \! and
// system, psql \! and \o/\g/\w "|CMD", apt -o *::Pre-Invoke/Post-Invoke,
// make --eval recipes and SHELL=PROG (and --eval and definitions in
// MAKEFLAGS), sort --compress-program, go test/run
// -exec, -toolexec and -vettool (also in GOFLAGS, and go env -w GOFLAGS or
// CC/CXX, which later builds run), npm/pnpm/yarn --script-shell (pnpm's
// --config.script-shell, npm_config_script_shell, RUSTC_WRAPPER; and
// --node-options that load code; the same settings, and git, in the
// project's .npmrc, yarn 1's .yarnrc, pnpm-workspace.yaml and the files
// npm_config_userconfig and npm_config_globalconfig name; yarn's yarnPath
// and pnpm's pnpmfile are read as code), wget --use-askpass, and git rebase --exec, bisect run, submodule foreach,
// difftool -x, the filter-branch filters, grep -O and --upload-pack, rg --pre,
// --receive-pack and --exec. Long options may be abbreviated down to one
// letter, as getopt and git allow (git clone --u=CMD). Their shell.execute
// facet's Detail says where they come from ("via find -exec"). What curl -o
// and wget -O/-P write is a file.write facet; a Makefile, package.json or
// source a downloader wrote earlier in the text reads as unknown code.
//
// Build tools run the programs their variables name (buildtools.go): make's
// and autoconf's program variables (CC, CXX, LD, AR, YACC, ..., their
// *_FOR_BUILD, HOST and TARGET_ forms, CONFIG_SHELL, CROSS_COMPILE) in the
// environment of any command, as make NAME=VALUE arguments, in MAKEFLAGS
// after "--" and, for make's own (RM, INSTALL, PYTHON...), in make's
// environment, as shell text; make VAR!=TEXT and $(shell TEXT) run TEXT, and
// a make variable holding ';', '|', '&', a backquote or $$(...) is shell text
// a recipe runs. Cargo's RUSTC, RUSTDOC, CARGO_BUILD_RUSTC*,
// CARGO_TARGET_<TRIPLE>_RUNNER/_LINKER, CARGO_HOST_LINKER and credential
// providers, and its --config KEY=VALUE settings (build.rustc,
// build.rustc-wrapper, build.rustdoc, target.*.runner/.linker, host.linker,
// credential providers and aliases, doc.browser, env.CC...) are programs and
// their arguments, and so are the same settings in the .cargo/config.toml
// (or .cargo/config) files cargo reads from the working directory up (an
// [env] value that loads code, LD_PRELOAD and the like, is opaque). Compiler options that run a program (-wrapper,
// -fuse-ld=PATH, --ld-path, rustc's -C linker=) are read from CFLAGS,
// CGO_CFLAGS, RUSTFLAGS and the like. A value naming an ordinary toolchain
// program (CC=clang, CC="ccache gcc", CC=$CC) is what the tool runs anyway and
// is no part of its own. A cargo --config naming a file, gcc's -B, -fplugin
// and -specs, and rustc's -Z codegen-backend are opaque.
//
// # Redirections are parts of their own
//
// The shell, not the program, opens a command's redirections, so they are a
// part of their own placed just before the command's part, with no views (no
// command rule can match it, so an allow for "ls *" does not allow
// ls > ~/.bashrc or ls > /dev/tcp/1.2.3.4/80) and these facets:
//   - file.write for >, >>, >|, &>, &>>, >& FILE, 2> and <>, file.read for <
//     and <>, with the path made canonical by catalog.CanonicalPath (not for
//     /dev/null, /dev/tty, /dev/stdout, /dev/fd/N and the like); a path that
//     is not static is reported as written, with a Detail saying so;
//   - network.connect for /dev/tcp/HOST/PORT and /dev/udp/HOST/PORT in any
//     redirection (also with $HOST or $PORT in them: >& /dev/tcp/h/$P is a
//     path, not a descriptor variable), including descriptors opened earlier
//     (exec 5<>/dev/tcp/.., exec {fd}<>/dev/tcp/.. then >&$fd) and zsh's
//     ztcp.
//
// A loop's or group's redirection is one part, however many commands it feeds.
//
// # Facets
//
// Each part's facets are, in order: shell.execute (Command is the part's
// Text, Program the innermost program, Background for &, nohup, setsid and
// the like, Remote for ssh's remote commands); the facets of the wrappers
// around it; what the catalogue detects for its views; then what shell
// constructs imply:
//   - file.delete for find -delete;
//   - shell.remote for a shell or interpreter with a redirection to a
//     network endpoint, exec wiring the shell's own stdin to one, a shell
//     or interpreter reading stdin from a network peer, and a shell reading
//     commands (no -c, or -i) or an interpreter reading code in the same
//     pipeline as a raw socket tool (nc, ncat, telnet, openssl s_client,
//     socat, ...) talking to a peer: the mkfifo and mknod loops; and a
//     shell reading a process substitution that talks to a peer
//     (sh < <(nc HOST PORT));
//   - shell.opaque (Detail says why) for a command name from a variable,
//     substitution or glob ($p -m http.server, $(which python3); a
//     substitution that is one echo or printf %s of words known statically
//     is worked out instead, in any word: $(echo nc) is nc, cat
//     $(echo ~)/.aws/x reads ~/.aws/x, unless the text may define a
//     function or alias or turn a builtin off), eval of
//     text with any expansion, a shell or interpreter reading commands from
//     a pipe whose content is not literal (curl ... | sh, base64 -d | sh,
//     cat x | bash), a script from a process substitution that fetches from
//     the network (source <(curl ...), bash < <(wget -O- ...)) or decodes
//     (source <(echo B64 | base64 -d)), code or a command name that xargs or
//     find substitutes at run time, a variable name with a command
//     substitution in its array subscript that a builtin evaluates
//     (test -v 'a[$(CMD)]', printf -v, read, unset, wait -p, declare,
//     let), a value assigned with one (x='a[$(CMD)]' runs CMD when $((x))
//     reads it), a ${x@P} prompt expansion, fc -s (it re-runs the
//     history, which history -s fills), an environment that makes the command
//     load code from files (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH,
//     GCONV_PATH, and NODE_OPTIONS, PERL5OPT, RUBYOPT or the JVM's options
//     when they load a module or agent), text that does not parse, and the
//     limits below.
//
// Decoded literal input (echo BASE64 | base64 -d | sh) is decoded and
// analysed, and stays opaque. Scripts a command runs from files (bash x.sh,
// source x.sh, ./x.sh, an npm script the catalogue finds) are read through
// Env.ReadFile, or from what the text itself wrote with literal content
// (printf ... > s.sh && sh s.sh), and their facets other than shell.execute
// are added to the part with a Detail "via FILE" (files tee wrote from
// literal input count too). A script that is there but cannot be analysed
// (unreadable, not a regular file, longer than MaxTextBytes) makes the part
// opaque; one that is not there adds nothing (the command fails). The same overlay is the ReadFile the catalogue
// sees. A file keeps what the text knows of it when it is copied, moved or
// linked (cp, mv, install, ln, dd, a local rsync, cat a > b, cat a | tee b,
// cp -r of a directory): a written script is still that script, one on
// disk is read under its old name, and one fetched from the network stays
// fetched. scp and rsync from another machine, git clone (the whole new
// tree) and unpacking a fetched archive (tar x, unzip, 7z x, gunzip) count
// as fetched too: running such a file (by path, as a shell's or an
// interpreter's script, or as a program a PATH this text set finds) is
// opaque. A script may also be named by its descriptor: /dev/stdin,
// /dev/fd/N and /proc/self/fd/N read what the redirections put there
// (bash /dev/fd/3 3<<EOF, python3 /dev/stdin <<EOF, awk -f - and sed -f
// /dev/stdin, exec 3<FILE; bash <&3), and an interpreter reading stdin
// from a file runs that file (python3 < x.py). A shell's startup file
// (BASH_ENV=FILE, ENV=FILE in its environment, a process substitution
// included) is read the same way, and is opaque when not static, fetched,
// or not readable (BASH_ENV for bash, ENV for an interactive POSIX shell);
// an exported (or plainly assigned) BASH_ENV or ENV is read at the
// assignment and by every shell started after it. Prompt strings (PS0-PS4) are
// expanded as a here-document is, and command variables (GIT_SSH_COMMAND,
// PAGER, PROMPT_COMMAND, FZF_DEFAULT_COMMAND, the askpass helpers, ...)
// count whether assigned before a command or by
// export/declare/typeset/local/readonly; so do exported functions
// (BASH_FUNC_NAME%%=() { ... }), git's configuration variables
// (GIT_CONFIG_KEY_n/GIT_CONFIG_VALUE_n, GIT_CONFIG_PARAMETERS) and git
// config KEY VALUE of a key that names a command. The configuration
// files a git command reads besides the user's own are read like its
// .git/config (catalog): GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM, HOME and
// XDG_CONFIG_HOME, GIT_DIR and GIT_COMMON_DIR given or exported here, and
// the files they include. Git hooks this text
// wrote (under .git/hooks or a core.hooksPath it set) are folded into the
// git commands after them. The hooks on disk that a git subcommand can run
// (catalog: $GIT_DIR/hooks, the main repository's for a worktree, or the
// configuration's core.hooksPath; a push to a repository on this machine
// runs that repository's receive hooks) are read too, executable files
// only: a shell script is analysed, interpreter code scanned, and only
// their listeners, bound ports, tunnels and remote shells are kept
// (catalog.GitHookFacet), so everyday projects' hooks (husky, pre-commit,
// lefthook, git-lfs) leave git's decision alone. Under /tmp, /var/tmp,
// /dev/shm or a TMPDIR the text sets, a hook's shell.opaque facets are kept
// too, and one that cannot be analysed (a binary, another interpreter,
// unreadable, over 64 KiB) is opaque; elsewhere it is unknown. A name hash -p bound to a path runs that path
// (hash -p /usr/bin/nc ls; ls -l 4444 is nc -l 4444). The startup files in
// the home directory a shell reads (~/.bashrc for an interactive bash,
// ~/.profile and friends for a login shell, ~/.zshenv for any zsh) are
// folded into it when this text wrote them (a fetched one is opaque); the
// user's own are not read. enable -f (a builtin from a shared object) is
// opaque.
//
// Word resolution is static: quotes, escapes ($'\x70'), line continuations
// and brace expansion are resolved; $HOME and ${HOME} at the start of a word
// become ~ (the spelling patterns use), $PWD the known working directory;
// other expansions keep their source text ("$X") and mark the word dynamic.
// A command name whose dynamic part is only its directory ($HOME/bin/tool)
// still names its program. cd and pushd with a static directory update the
// working directory later commands are analysed in.
//
// # Limits
//
// Text over [MaxTextBytes], shell text nested deeper than [MaxDepth] levels
// (-c, eval, $(...), scripts), brackets nested deeper than 256 (checked
// before parsing, so the parser never recurses deeply), more than 4096 parts
// or more than 1 MiB parsed across nested texts: each becomes a part with a
// shell.opaque facet. Such a part, and a part for text that cannot be
// parsed, has no shell.execute facet and no views of its own, so no command
// rule can allow it by accident. A panic inside the analyser (a bug) also
// becomes one opaque part.
//
// # Limitations
//
//   - Variables are tracked only as described above: p=python3; $p is
//     opaque, and an argument from a variable is matched as its spelling
//     ("$PORT").
//   - A file's content is known only when this text wrote it literally or
//     the caller's ReadFile reads it; a script on disk that the text
//     overwrote with unknown content may still be read as it was. Files
//     under a fetched tree are opaque only when run as code (make in a
//     fresh clone is not).
//   - Text handed to another shell (sh -c "...$X...") is analysed with the
//     outer expansions in place; a value that injects shell syntax is not
//     seen. eval is the exception: any expansion in its text is opaque.
//   - Function bodies are analysed where they are defined, not per call;
//     PATH lookups are not resolved. An alias defined in the text is
//     expanded wherever its name later starts a command, also on the line
//     that defines it (which bash would not do) and whether or not
//     expand_aliases is set; aliases from outside the text are unknown.
//   - The working directory, descriptors, fifos and files written are
//     followed through the text in order, ignoring subshell scopes and
//     control flow.
//   - A process substitution whose output is neither literal nor from the
//     network (source <(kubectl completion bash)) is run as an ordinary
//     file: its commands are parts, what it prints is not analysed.
//   - Fifo loops are seen when the shell and the socket tool share a
//     pipeline (the usual form); a loop split across separate background
//     jobs is not.
//   - Remote commands (ssh) are analysed as local shell text would be;
//     docker and kubectl exec commands are not marked remote.
//   - docker run's command is not peeled (the catalogue sees docker run).
//   - Here-documents fed to interpreters are handed to the catalogue as
//     Command.Stdin; what it scans is its business.
package shell
