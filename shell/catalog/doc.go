// Package catalog knows what programs do: given one command's argv it derives
// the network, tunnel, remote-shell and file facets that the command implies
// (python -m http.server → network.listen{port: 8000}).
//
// It knows programs, not shell syntax: the shell package parses text, peels
// wrappers and handles redirections and pipelines, then asks [Detect] about
// each simple command. Detect looks at the innermost view (the program that
// runs) and at outer views where a wrapper matters itself (ssh HOST CMD
// connects to HOST; docker run -p publishes a port).
//
// # What it detects
//
//   - network.listen: language servers (python -m http.server, php -S, ruby
//     -run -e httpd), netcat and socat listeners, openssl s_server, container
//     port publishing, service managers starting network daemons, several
//     hundred dev, app, database, media and game servers with their default
//     ports, package.json scripts (npm/yarn/pnpm/bun, also when the shell
//     package peeled yarn NAME to NAME), composer.json scripts, Procfile
//     processes (foreman, honcho, overmind, hivemind, heroku local, ...)
//     and Makefile targets that start them, and interpreter code that binds
//     or listens.
//   - network.tunnel: ssh -L/-R/-D/-w in every spelling (also in a config
//     file given with -F), ssh, scp and sftp relays through a jump host (-J,
//     ProxyJump) and ssh -W stdio forwarding, tunnel services
//     (ngrok, cloudflared, localtunnel, bore, chisel, frp, zrok, ...),
//     port-forwarding CLIs (kubectl port-forward, adb reverse, IAP, SSM) and
//     relays between two network endpoints.
//   - shell.remote: a program handed to a network peer (nc -e, ncat --exec,
//     socat EXEC with a network address, socket -p, powercat -e) and
//     interpreter code that wires a socket to a shell (dup2, fdopen, pipes,
//     pty.spawn, coprocesses).
//   - network.connect: HTTP and file-transfer clients, ssh and its relatives,
//     git remote operations, package installs, DNS and probing tools,
//     database clients, cloud CLIs, interpreter socket and HTTP code.
//   - shell.opaque: interpreter code that evaluates payloads it decodes or
//     downloads, PowerShell -EncodedCommand, an editor that pipes its
//     buffer to a shell or interpreter (vim -c 'w !sh', :%!sh).
//
// Scripts in files are read through Command.ReadFile for awk -f, sed -f,
// vim -S/-u/:source, python -m MODULE (MODULE.py, MODULE/__main__.py) and
// node -r/--import ./FILE as for interpreters' scripts; a program that reads its code
// from stdin by name (python3 /dev/stdin, awk -f -, sed -f /dev/fd/0,
// make -f -, or /dev/fd/N the shell filled) has Command.Stdin scanned as
// code. A makefile's recipes (target: ; recipe too) and what runs while
// make reads it ($(shell TEXT), NAME != TEXT) are read; an install (npm
// install/ci, pnpm install, yarn) reads the project's lifecycle scripts,
// pip install -e DIR its setup.py, go run DIR its main.go. A git
// command's configuration files (its repository's, and those Command.Env
// points it at: GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM, HOME,
// XDG_CONFIG_HOME, GIT_DIR, GIT_COMMON_DIR, with their includes) are read
// the same way, and the commands they name returned as Scripts.
// [Transfers] tells the shell package which files a command copies,
// links, fetches or unpacks, so scripts are followed under new names.
//   - file.read, file.write, file.delete with canonical paths for the usual
//     file utilities ([CanonicalPath]).
//
// Beyond named programs, generic signals catch unknown servers: a program
// named as a server (a "server" word in its name), a serve/server
// subcommand, a listen or bind address option, --host 0.0.0.0, and a --port
// option with nothing naming a remote peer.
//
// # Limitations
//
//   - Code scanning reads code strings as text, not as parsed programs: it
//     looks for the primitives (socket connect, bind/listen, dup2, exec,
//     eval of decoded data) and can be defeated by code that builds those
//     names at run time (getattr(__import__(...), "conn"+"ect")); such code
//     is ordinary unless it also evaluates decoded data.
//   - Command strings found in code (os.system("..."), exec("...")) are
//     handed to the shell package only when they hold no $ or backquote:
//     there those are the language's own variables, not shell text.
//   - Programs run from files (node server.js, python app.py, a compiled
//     binary) are judged by name only; what a script does inside cannot be
//     seen from its command line. Kernel enforcement is the backstop.
//   - Default ports are the programs' documented defaults; configuration
//     files that change them are not read (except package.json, deno.json,
//     composer.json, Procfiles, Makefiles and compose files, read through
//     Command.ReadFile).
//   - The -c text of shells whose syntax is not the POSIX shell's (nu,
//     elvish, xonsh, PowerShell's native commands) is read naively, as a
//     package.json script is.
//   - The generic signals are heuristics: a server that takes no telling
//     option and has an ordinary name is not seen, and an unusual client
//     spelled like a server may be taken for one.
//   - Option parsing follows each program's usual conventions; exotic
//     option orders (a server subcommand after unknown valued options) can
//     hide the subcommand.
package catalog
