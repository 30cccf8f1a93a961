package catalog

import (
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// server describes a program that listens when run a certain way.
type server struct {
	what string // shown in the facet's detail: "hugo server"
	// subs lists, "|"-separated, the subcommands that serve ("serve|s");
	// a subcommand of several words is written with spaces ("registry serve").
	// Empty: running the program serves.
	subs string
	// flags lists options of which one must be present for it to serve
	// (glances -w); empty: none needed.
	flags string
	// not lists options that mean it does not serve (nginx -t, squid -k).
	not string
	// notSub lists, "|"-separated, first positionals that mean it does not
	// serve, for programs that serve without a subcommand (vncserver -kill).
	notSub string
	port   int    // default port, 0 when none or unknown
	portOp string // options whose value is the port
	hostOp string // options whose value is the bind address
	addrOp string // options whose value is [host:]port
	// posPort: a positional number (or host:port) is the listening address.
	posPort bool
	// valued lists options that take a value, so that their values are not
	// taken for the subcommand.
	valued string
	// kind is the facet kind; zero means network.listen.
	kind action.Kind
	// cmd: the positionals are a command the server runs for its clients
	// (ttyd bash); a shell there makes it a remote shell too.
	cmd bool
}

// stopWords are first positionals that ask a server program to do
// something other than serve: control, inspect, configure.
var stopWords = map[string]bool{
	"stop": true, "status": true, "kill": true, "shutdown": true, "uninstall": true, "remove": true,
	"disable": true, "logs": true, "log": true, "list": true, "ls": true, "ps": true, "version": true,
	"help": true, "config": true, "configtest": true, "check": true, "test": true, "validate": true,
	"completion": true, "init": true, "build": true, "new": true, "generate": true, "lint": true, "fmt": true,
	"format": true, "reload": true, "info": true, "doctor": true, "login": true, "logout": true, "token": true,
	"passwd": true, "password": true, "install-service": true, "export": true, "import": true, "backup": true,
	"restore": true, "dump": true, "migrate": true, "show": true,
}

// serverRows lists how server programs serve, by lower-case program name
// (script extension dropped). Ports are the programs' documented defaults.
var serverRows = [...]entry[server]{
	// Static file and development web servers.
	{"http-server", server{what: "http-server", port: 8080, portOp: "-p --port", hostOp: "-a --address", valued: "-p --port -a --address -c -d -i -e -S -C -K -o -P --proxy --username --password --log-ip -t"}},
	{"http-server-upload", server{what: "http-server-upload", port: 8080}},
	{"live-server", server{what: "live-server", port: 8080, portOp: "--port", hostOp: "--host"}},
	{"lite-server", server{what: "lite-server", port: 3000}},
	{"light-server", server{what: "light-server", port: 4000, portOp: "-p --port", hostOp: "-b --bind"}},
	{"five-server", server{what: "five-server", port: 5500, portOp: "--port"}},
	{"serve", server{what: "serve", port: 3000, portOp: "-p --port", addrOp: "-l --listen", valued: "-p --port -l --listen -c --config --ssl-cert --ssl-key --ssl-pass"}},
	{"sirv", server{what: "sirv", subs: "start|", port: 8080, portOp: "-p --port", hostOp: "-H --host"}},
	{"servor", server{what: "servor", port: 8080}},
	{"ws", server{what: "local-web-server (ws)", port: 8000, portOp: "-p --port", notSub: "|--config|"}},
	{"local-web-server", server{what: "local-web-server", port: 8000, portOp: "-p --port"}},
	{"static-server", server{what: "static-server", port: 9080, portOp: "-p --port"}},
	{"superstatic", server{what: "superstatic", port: 3474, portOp: "-p --port", hostOp: "--host"}},
	{"json-server", server{what: "json-server", port: 3000, portOp: "-p --port", hostOp: "-H --host"}},
	{"browser-sync", server{what: "browser-sync", subs: "start|", port: 3000, portOp: "--port"}},
	{"webpack-dev-server", server{what: "webpack-dev-server", port: 8080, portOp: "--port", hostOp: "--host"}},
	{"vite", server{what: "vite dev server", subs: "|dev|serve|preview", port: 5173, portOp: "--port", hostOp: "--host", valued: "-c --config --mode -m --base -l --logLevel --root --port --host --outDir"}},
	{"next", server{what: "next", subs: "dev|start", port: 3000, portOp: "-p --port", hostOp: "-H --hostname"}},
	{"nuxt", server{what: "nuxt", subs: "dev|start|preview|", port: 3000, portOp: "-p --port", hostOp: "-H --host"}},
	{"nuxi", server{what: "nuxi", subs: "dev|preview|start", port: 3000, portOp: "-p --port", hostOp: "-H --host"}},
	{"astro", server{what: "astro", subs: "dev|preview|start", port: 4321, portOp: "--port", hostOp: "--host"}},
	{"remix", server{what: "remix", subs: "dev|vite:dev", port: 3000, portOp: "--port"}},
	{"remix-serve", server{what: "remix-serve", port: 3000}},
	{"svelte-kit", server{what: "svelte-kit", subs: "dev|preview", port: 5173, portOp: "--port"}},
	{"sveltekit", server{what: "sveltekit", subs: "dev|preview", port: 5173, portOp: "--port"}},
	{"webpack", server{what: "webpack serve", subs: "serve|server|s", port: 8080, portOp: "--port", hostOp: "--host"}},
	{"ng", server{what: "ng serve", subs: "serve|s", port: 4200, portOp: "--port", hostOp: "--host"}},
	{"vue-cli-service", server{what: "vue-cli-service serve", subs: "serve", port: 8080, portOp: "--port", hostOp: "--host"}},
	{"vue", server{what: "vue ui", subs: "ui|serve", port: 8000, portOp: "-p --port", hostOp: "-H --host"}},
	{"react-scripts", server{what: "react-scripts start", subs: "start", port: 3000}},
	{"react-native", server{what: "react-native start (Metro)", subs: "start|run-android|run-ios", port: 8081, portOp: "--port", hostOp: "--host"}},
	{"expo", server{what: "expo start", subs: "start|web|", port: 8081, portOp: "-p --port"}},
	{"metro", server{what: "metro", subs: "serve|start", port: 8081, portOp: "--port"}},
	{"gatsby", server{what: "gatsby", subs: "develop|serve", port: 8000, portOp: "-p --port", hostOp: "-H --host"}},
	{"parcel", server{what: "parcel dev server", subs: "|serve", port: 1234, portOp: "-p --port", valued: "--dist-dir -d --cache-dir --public-url --target --config -p --port --host"}},
	{"snowpack", server{what: "snowpack dev", subs: "dev", port: 8080, portOp: "--port"}},
	{"wmr", server{what: "wmr", subs: "|start|serve", port: 8080, portOp: "--port"}},
	{"ember", server{what: "ember serve", subs: "serve|server|s", port: 4200, portOp: "--port -p", hostOp: "--host"}},
	{"ionic", server{what: "ionic serve", subs: "serve", port: 8100, portOp: "--port -p", hostOp: "--host"}},
	{"quasar", server{what: "quasar dev", subs: "dev|serve", port: 8080, portOp: "--port -p"}},
	{"docusaurus", server{what: "docusaurus", subs: "start|serve", port: 3000, portOp: "--port"}},
	{"vuepress", server{what: "vuepress dev", subs: "dev", port: 8080, portOp: "--port -p"}},
	{"vitepress", server{what: "vitepress", subs: "dev|preview|serve", port: 5173, portOp: "--port"}},
	{"storybook", server{what: "storybook dev", subs: "dev", port: 6006, portOp: "-p --port"}},
	{"start-storybook", server{what: "start-storybook", port: 6006, portOp: "-p --port"}},
	{"hexo", server{what: "hexo server", subs: "server|s", port: 4000, portOp: "-p --port"}},
	{"gridsome", server{what: "gridsome", subs: "develop|serve", port: 8080, portOp: "-p --port"}},
	{"eleventy", server{what: "eleventy --serve", flags: "--serve", port: 8080, portOp: "--port"}},
	{"esbuild", server{what: "esbuild --serve", flags: "--serve", addrOp: "--serve"}},
	{"slidev", server{what: "slidev", subs: "|dev", notSub: "|build|export|format|", port: 3030, portOp: "-p --port"}},
	{"docsify", server{what: "docsify serve", subs: "serve|s|start", port: 3000, portOp: "-p --port"}},
	{"gitbook", server{what: "gitbook serve", subs: "serve", port: 4000, portOp: "--port"}},
	{"mkdocs", server{what: "mkdocs serve", subs: "serve|gh-deploy:never", port: 8000, addrOp: "-a --dev-addr"}},
	{"sphinx-autobuild", server{what: "sphinx-autobuild", port: 8000, portOp: "--port", hostOp: "--host"}},
	{"hugo", server{what: "hugo server", subs: "server|serve|s", port: 1313, portOp: "-p --port", hostOp: "--bind"}},
	{"jekyll", server{what: "jekyll serve", subs: "serve|server|s", port: 4000, portOp: "-P --port", hostOp: "-H --host"}},
	{"zola", server{what: "zola serve", subs: "serve", port: 1111, portOp: "-p --port", hostOp: "-i --interface"}},
	{"mdbook", server{what: "mdbook serve", subs: "serve", port: 3000, portOp: "-p --port", hostOp: "-n --hostname"}},
	{"pelican", server{what: "pelican --listen", flags: "-l --listen --autoreload -r", port: 8000, portOp: "-p --port", hostOp: "-b --bind"}},
	{"middleman", server{what: "middleman server", subs: "server|s|", port: 4567, portOp: "-p --port"}},
	{"jigsaw", server{what: "jigsaw serve", subs: "serve", port: 8000, portOp: "--port"}},
	{"resume", server{what: "resume serve", subs: "serve", port: 4000, portOp: "--port -p"}},
	{"docfx", server{what: "docfx serve", subs: "serve", port: 8080, portOp: "-p --port"}},
	{"elm", server{what: "elm reactor", subs: "reactor", port: 8000, portOp: "--port"}},
	{"elm-live", server{what: "elm-live", port: 8000, portOp: "-p --port"}},
	{"p5", server{what: "p5 server", subs: "server|serve", port: 5555, portOp: "-p --port"}},
	{"grip", server{what: "grip", not: "--export", notSub: "|--export|", port: 6419, posPort: true}},
	{"wrangler", server{what: "wrangler dev", subs: "dev|pages dev", port: 8787, portOp: "--port", hostOp: "--ip"}},
	{"netlify", server{what: "netlify dev", subs: "dev|serve", port: 8888, portOp: "-p --port"}},
	{"vercel", server{what: "vercel dev", subs: "dev", port: 3000, addrOp: "-l --listen"}},
	{"firebase", server{what: "firebase serve", subs: "serve|emulators:start|emulators:exec", port: 5000, portOp: "-p --port", hostOp: "-o --host"}},
	{"functions-framework", server{what: "functions-framework", port: 8080, portOp: "--port"}},
	{"func", server{what: "func start (Azure Functions)", subs: "start|host start", port: 7071, portOp: "--port -p"}},
	{"sam", server{what: "sam local start-api", subs: "local start-api|local start-lambda", port: 3000, portOp: "-p --port", hostOp: "--host"}},
	{"serverless", server{what: "serverless offline", subs: "offline", port: 3000, portOp: "--httpPort"}},
	{"sls", server{what: "serverless offline", subs: "offline", port: 3000, portOp: "--httpPort"}},
	{"localstack", server{what: "localstack start", subs: "start", port: 4566}},
	{"supabase", server{what: "supabase start", subs: "start", port: 54321}},
	{"azurite", server{what: "azurite", port: 10000, hostOp: "--blobHost"}},
	{"azurite-blob", server{what: "azurite-blob", port: 10000}},
	{"meteor", server{what: "meteor", subs: "|run", notSub: "|list|add|remove|create|update|deploy|build|test|mongo|shell|npm|publish|search|show|", port: 3000, portOp: "-p --port"}},
	{"sails", server{what: "sails lift", subs: "lift|l", port: 1337, portOp: "--port"}},
	{"strapi", server{what: "strapi", subs: "develop|dev|start", port: 1337}},
	{"keystone", server{what: "keystone dev", subs: "dev|start", port: 3000}},
	{"redwood", server{what: "redwood dev", subs: "dev|serve", port: 8910}},
	{"rw", server{what: "redwood dev", subs: "dev|serve", port: 8910}},
	{"blitz", server{what: "blitz dev", subs: "dev|start", port: 3000}},
	{"nest", server{what: "nest start --watch", subs: "start", flags: "--watch -w --debug", port: 3000}},
	{"nx", server{what: "nx serve", subs: "serve|run-many:never", port: 4200}},
	{"turbo", server{what: "turbo dev", subs: "dev", port: 0}},
	{"solid-start", server{what: "solid-start dev", subs: "dev|start", port: 3000}},
	{"cake", server{what: "cake server", subs: "server", port: 8765, portOp: "-p --port", hostOp: "-H --host"}},
	{"symfony", server{what: "symfony server", subs: "serve|server:start|local:server:start|proxy:start", port: 8000, portOp: "--port"}},
	{"hledger-web", server{what: "hledger-web", not: "--test", port: 5000, portOp: "--port", hostOp: "--host"}},
	{"grafana-server", server{what: "grafana-server", port: 3000}},
	{"grafana", server{what: "grafana server", subs: "server", port: 3000}},
	{"ttyd", server{what: "ttyd (a terminal served over HTTP)", cmd: true, port: 7681, portOp: "-p --port", hostOp: "-i --interface", valued: "-c --credential -u --uid -g --gid -s --signal -I --index -b --base-path -P --ping-interval -t --client-option -T --terminal-type -O --check-origin -m --max-clients -w --cwd -H --auth-header -d --debug -C --ssl-cert -K --ssl-key -A --ssl-ca"}},
	{"gotty", server{what: "gotty (a terminal served over HTTP)", cmd: true, port: 8080, portOp: "-p --port", hostOp: "-a --address", valued: "-c --credential -r --random-url-length --title-format --max-connection --timeout --config --tls-crt --tls-key --tls-ca --ws-origin --term --close-signal --close-timeout --width --height --index"}},
	{"code-server", server{what: "code-server", port: 8080, addrOp: "--bind-addr", portOp: "--port"}},
	{"openvscode-server", server{what: "openvscode-server", port: 3000, portOp: "--port", hostOp: "--host"}},
	{"miniserve", server{what: "miniserve", port: 8080, portOp: "-p --port", hostOp: "-i --interfaces"}},
	{"darkhttpd", server{what: "darkhttpd", port: 8080, portOp: "--port", hostOp: "--addr"}},
	{"devd", server{what: "devd", port: 8000, portOp: "-p --port", addrOp: "-A --address", valued: "-p --port -A --address -l -m -w -x -o --cert -u"}},
	{"updog", server{what: "updog", port: 9090, portOp: "-p --port"}},
	{"simplehttpserver", server{what: "simplehttpserver", port: 8000, addrOp: "-listen"}},
	{"filebrowser", server{what: "filebrowser", notSub: "|config|users|rules|cmds|hash|upgrade|", port: 8080, portOp: "-p --port", hostOp: "-a --address"}},
	{"webfsd", server{what: "webfsd", port: 8000, portOp: "-p"}},
	{"thttpd", server{what: "thttpd", port: 80, portOp: "-p"}},
	{"mini_httpd", server{what: "mini_httpd", port: 80, portOp: "-p"}},
	{"lighttpd", server{what: "lighttpd", not: "-t -tt -v -V -p", port: 80}},
	{"httpd", server{what: "httpd", not: "-t -v -V -S -M -L -l -T", port: 80, portOp: "-p"}},
	{"apache2", server{what: "apache2", not: "-t -v -V -S -M -L -l -T", port: 80}},
	{"apachectl", server{what: "apachectl", subs: "start|restart|graceful|-k start|-k restart|-k graceful", port: 80}},
	{"apache2ctl", server{what: "apache2ctl", subs: "start|restart|graceful|-k start|-k restart|-k graceful", port: 80}},
	{"nginx", server{what: "nginx", not: "-t -T -s -v -V -?", port: 80}},
	{"openresty", server{what: "openresty", not: "-t -T -s -v -V", port: 80}},
	{"caddy", server{what: "caddy", subs: "run|start|file-server|reverse-proxy|respond", port: 0, addrOp: "--listen --from -l", portOp: "--http-port"}},
	{"xcaddy", server{what: "xcaddy run", subs: "run|start", port: 0}},
	{"traefik", server{what: "traefik", port: 80}},
	{"haproxy", server{what: "haproxy", not: "-c -v -vv", port: 0}},
	{"envoy", server{what: "envoy proxy", flags: "-c --config-path --config-yaml", not: "--mode validate", port: 0}},
	{"squid", server{what: "squid", not: "-k -v -z", port: 3128, portOp: "-a"}},
	{"tinyproxy", server{what: "tinyproxy", port: 8888}},
	{"privoxy", server{what: "privoxy", port: 8118}},
	{"mitmproxy", server{what: "mitmproxy", not: "-n --no-server -nr -r --rfile", port: 8080, portOp: "-p --listen-port", hostOp: "--listen-host"}},
	{"mitmweb", server{what: "mitmweb", not: "-n --no-server", port: 8080, portOp: "-p --listen-port", hostOp: "--listen-host"}},
	{"mitmdump", server{what: "mitmdump", not: "-n --no-server -nr -r --rfile", port: 8080, portOp: "-p --listen-port", hostOp: "--listen-host"}},
	{"proxify", server{what: "proxify", port: 8888, addrOp: "-ha -http-addr"}},
	{"sslstrip", server{what: "sslstrip", port: 10000, portOp: "-l --listen"}},
	{"bettercap", server{what: "bettercap", port: 0}},
	{"responder", server{what: "Responder", port: 0}},
	{"dnschef", server{what: "dnschef", port: 53, portOp: "-p --port", hostOp: "-i --interface"}},
	{"h2o", server{what: "h2o", not: "-t --test", port: 0}},
	{"unitd", server{what: "NGINX Unit", port: 0}},
	{"varnishd", server{what: "varnishd", port: 80, addrOp: "-a"}},
	{"pound", server{what: "pound", port: 0}},
	{"stunnel", server{what: "stunnel", port: 0, kind: action.NetworkTunnel}},
	{"stunnel4", server{what: "stunnel", port: 0, kind: action.NetworkTunnel}},

	// Language and framework application servers.
	{"gunicorn", server{what: "gunicorn", port: 8000, addrOp: "-b --bind"}},
	{"uvicorn", server{what: "uvicorn", port: 8000, portOp: "--port", hostOp: "--host", addrOp: "--uds:never"}},
	{"hypercorn", server{what: "hypercorn", port: 8000, addrOp: "-b --bind"}},
	{"daphne", server{what: "daphne", port: 8000, portOp: "-p --port", hostOp: "-b --bind"}},
	{"waitress-serve", server{what: "waitress-serve", port: 8080, addrOp: "--listen", portOp: "--port", hostOp: "--host"}},
	{"granian", server{what: "granian", port: 8000, portOp: "--port", hostOp: "--host"}},
	{"uwsgi", server{what: "uwsgi", flags: "--http --http-socket --socket -s --https --http11-socket --fastcgi-socket --ini --yaml --xml --json", addrOp: "--http --http-socket --socket -s --https"}},
	{"flask", server{what: "flask run", subs: "run", port: 5000, portOp: "-p --port", hostOp: "-h --host"}},
	{"fastapi", server{what: "fastapi", subs: "run|dev", port: 8000, portOp: "--port", hostOp: "--host"}},
	{"django-admin", server{what: "django runserver", subs: "runserver|runserver_plus|testserver|runsslserver", port: 8000, posPort: true}},
	{"manage", server{what: "django runserver", subs: "runserver|runserver_plus|testserver|runsslserver|run_gunicorn|runfcgi", port: 8000, posPort: true}},
	{"streamlit", server{what: "streamlit run", subs: "run|hello", port: 8501, portOp: "--server.port", hostOp: "--server.address"}},
	{"gradio", server{what: "gradio app", notSub: "|deploy|environment|sketch|cc|", port: 7860}},
	{"panel", server{what: "panel serve", subs: "serve", port: 5006, portOp: "--port", hostOp: "--address"}},
	{"bokeh", server{what: "bokeh serve", subs: "serve", port: 5006, portOp: "--port", hostOp: "--address"}},
	{"voila", server{what: "voila", port: 8866, portOp: "--port"}},
	{"datasette", server{what: "datasette", notSub: "|install|uninstall|publish|package|inspect|plugins|create-token|", port: 8001, portOp: "-p --port", hostOp: "-h --host"}},
	{"mlflow", server{what: "mlflow", subs: "ui|server|models serve|gateway start|deployments start-server", port: 5000, portOp: "-p --port", hostOp: "-h --host"}},
	{"tensorboard", server{what: "tensorboard", port: 6006, portOp: "--port", hostOp: "--host --bind_all:never"}},
	{"jupyter", server{what: "jupyter", subs: "notebook|lab|server|nbclassic|console:never|kernelgateway|kernel|qtconsole:never|", notSub: "|nbconvert|kernelspec|labextension|serverextension|nbextension|troubleshoot|trust|execute|console|qtconsole|migrate|run|--paths|--data-dir|--runtime-dir|--config-dir|", port: 8888, portOp: "--port", hostOp: "--ip"}},
	{"jupyter-notebook", server{what: "jupyter notebook", port: 8888, portOp: "--port", hostOp: "--ip"}},
	{"jupyter-lab", server{what: "jupyter lab", port: 8888, portOp: "--port", hostOp: "--ip"}},
	{"jupyter-server", server{what: "jupyter server", port: 8888, portOp: "--port", hostOp: "--ip"}},
	{"jupyterhub", server{what: "jupyterhub", port: 8000, portOp: "--port", hostOp: "--ip"}},
	{"jupyterlab", server{what: "jupyter lab", port: 8888, portOp: "--port", hostOp: "--ip"}},
	{"notebook", server{what: "jupyter notebook", port: 8888, portOp: "--port", hostOp: "--ip"}},
	{"marimo", server{what: "marimo", subs: "edit|run|tutorial", port: 2718, portOp: "-p --port", hostOp: "--host"}},
	{"pluto", server{what: "pluto", port: 1234}},
	{"locust", server{what: "locust web UI", not: "--headless --worker", port: 8089, portOp: "--web-port -P", hostOp: "--web-host"}},
	{"sanic", server{what: "sanic", port: 8000, portOp: "-p --port", hostOp: "-H --host"}},
	{"bottle", server{what: "bottle", port: 8080, addrOp: "-b --bind"}},
	{"twistd", server{what: "twistd", subs: "web|ftp|telnet|dns|mail|conch|socks|portforward|xmpp-router|procmon:never|", port: 8080, addrOp: "--port --listen"}},
	{"twist", server{what: "twist", subs: "web|ftp|dns|conch|socks|portforward", port: 8080, addrOp: "--port --listen"}},
	{"pserve", server{what: "pserve", port: 6543}},
	{"plackup", server{what: "plackup", port: 5000, portOp: "-p --port", hostOp: "-o --host", addrOp: "--listen -l"}},
	{"starman", server{what: "starman", port: 5000, addrOp: "--listen -l", portOp: "--port"}},
	{"morbo", server{what: "morbo", port: 3000, addrOp: "-l --listen"}},
	{"hypnotoad", server{what: "hypnotoad", not: "-s --stop -t --test", port: 8080}},
	{"rackup", server{what: "rackup", port: 9292, portOp: "-p --port", hostOp: "-o --host"}},
	{"rails", server{what: "rails server", subs: "server|s", port: 3000, portOp: "-p --port", hostOp: "-b --binding"}},
	{"puma", server{what: "puma", port: 9292, portOp: "-p --port", addrOp: "-b --bind"}},
	{"pumactl", server{what: "pumactl start", subs: "start|restart", port: 9292}},
	{"unicorn", server{what: "unicorn", port: 8080, addrOp: "-l --listen", portOp: "-p --port"}},
	{"unicorn_rails", server{what: "unicorn_rails", port: 8080, addrOp: "-l --listen"}},
	{"thin", server{what: "thin start", subs: "start|restart", port: 3000, portOp: "-p --port", hostOp: "-a --address"}},
	{"passenger", server{what: "passenger start", subs: "start", port: 3000, portOp: "-p --port", hostOp: "-a --address"}},
	{"shotgun", server{what: "shotgun", port: 9393, portOp: "-p --port"}},
	{"iodine", server{what: "iodine", port: 53, kind: action.NetworkTunnel}},
	{"iodined", server{what: "iodined (DNS tunnel server)", port: 53, kind: action.NetworkTunnel}},
	{"artisan", server{what: "php artisan serve", subs: "serve|octane:start|reverb:start|websockets:serve|horizon:never", port: 8000, portOp: "--port", hostOp: "--host"}},
	{"yii", server{what: "yii serve", subs: "serve", port: 8080, portOp: "-p --port", posPort: true}},
	{"console", server{what: "symfony console server:run", subs: "server:run|server:start", port: 8000, posPort: true}},
	{"phoenix", server{what: "phoenix server", subs: "server", port: 4000}},
	{"mix", server{what: "mix phx.server", subs: "phx.server|run --no-halt:never", port: 4000}},
	{"iex", server{what: "iex -S mix phx.server", flags: "-S", subs: "phx.server", port: 4000}},
	{"dotnet-serve", server{what: "dotnet-serve", port: 8080, portOp: "-p --port"}},
	{"buffalo", server{what: "buffalo dev", subs: "dev", port: 3000}},
	{"revel", server{what: "revel run", subs: "run", port: 9000}},
	{"bee", server{what: "bee run", subs: "run", port: 8080}},
	{"air", server{what: "air (live-reload dev server)", notSub: "|init|", port: 0}},
	{"lein", server{what: "lein repl / ring server (nREPL or web server)", subs: "repl :headless|ring server|ring server-headless|run server|figwheel", port: 0}},
	{"acme.sh", server{what: "acme.sh standalone challenge server", flags: "--standalone --alpn", port: 80, portOp: "--httpport --tlsport"}},
	{"adguardhome", server{what: "AdGuard Home", flags: "--service -s --web-addr --port -p --host", not: "--check-config", port: 3000, portOp: "--port -p", hostOp: "--host"}},
	{"boot", server{what: "boot serve", subs: "serve|repl", port: 3000}},
	{"shadow-cljs", server{what: "shadow-cljs", subs: "watch|server|cljs-repl|node-repl:never", port: 9630}},
	{"figwheel", server{what: "figwheel", port: 3449}},
	{"yesod", server{what: "yesod devel", subs: "devel", port: 3000}},
	{"hoogle", server{what: "hoogle server", subs: "server", port: 8080, portOp: "-p --port"}},
	{"koboldcpp", server{what: "koboldcpp", not: "--cli", port: 5001, portOp: "--port", hostOp: "--host"}},
	{"llama-server", server{what: "llama.cpp server", port: 8080, portOp: "--port", hostOp: "--host"}},
	{"ollama", server{what: "ollama serve", subs: "serve|start", port: 11434}},
	{"vllm", server{what: "vllm serve", subs: "serve", port: 8000, portOp: "--port", hostOp: "--host"}},
	{"text-generation-launcher", server{what: "text-generation-launcher", port: 3000, portOp: "-p --port"}},
	{"lmstudio", server{what: "lms server start", subs: "server start", port: 1234}},
	{"lms", server{what: "lms server start", subs: "server start", port: 1234}},
	{"localai", server{what: "local-ai", subs: "run|", port: 8080}},
	{"local-ai", server{what: "local-ai", subs: "run|", port: 8080}},
	{"open-webui", server{what: "open-webui serve", subs: "serve", port: 8080}},
	{"inference-snap", server{what: "inference snap", subs: "chat|serve|run", port: 0}},
	{"opencode", server{what: "opencode web/serve", subs: "web|serve", port: 4096, portOp: "--port", hostOp: "--hostname"}},
	{"openclaw", server{what: "openclaw gateway", subs: "gateway|dashboard", port: 18789, portOp: "--port"}},
	{"zeroclaw", server{what: "zeroclaw", subs: "daemon|gateway", port: 0, portOp: "-p --port", hostOp: "--host"}},
	{"spotdl", server{what: "spotdl web", subs: "web", port: 8800, portOp: "--port", hostOp: "--host"}},
	{"maigret", server{what: "maigret --web", flags: "--web", addrOp: "--web"}},
	{"pio", server{what: "pio home", subs: "home|remote agent start", port: 8008, portOp: "--port", hostOp: "--host"}},
	{"platformio", server{what: "pio home", subs: "home", port: 8008, portOp: "--port", hostOp: "--host"}},
	{"pygbag", server{what: "pygbag (serves the game)", not: "--build --archive", port: 8000, portOp: "--port"}},
	{"gitea", server{what: "gitea web", subs: "web|", notSub: "|admin|migrate|dump|doctor|cert|generate|keys|hook|manager|embedded|restore-repo|docs|convert|serv|", port: 3000, portOp: "-p --port"}},
	{"forgejo", server{what: "forgejo web", subs: "web|", notSub: "|admin|migrate|dump|doctor|cert|generate|keys|hook|manager|embedded|restore-repo|docs|", port: 3000, portOp: "-p --port"}},
	{"gogs", server{what: "gogs web", subs: "web", port: 3000, portOp: "-p --port"}},
	{"ghost", server{what: "ghost", subs: "start|restart|run|develop", port: 2368}},
	{"lando", server{what: "lando (starts the app's services)", subs: "start|restart|rebuild", port: 0}},
	{"ddev", server{what: "ddev (starts the project's web server)", subs: "start|restart", port: 0}},
	{"tye", server{what: "tye run", subs: "run", port: 8000, portOp: "--port"}},
	{"papermc", server{what: "papermc", subs: "start|restart|run", port: 25565}},
	{"minecraft-server", server{what: "minecraft server", port: 25565}},
	{"luanti", server{what: "luanti --server", flags: "--server", port: 30000, portOp: "--port"}},
	{"minetest", server{what: "minetest --server", flags: "--server", port: 30000, portOp: "--port"}},
	{"minetestserver", server{what: "minetestserver", port: 30000, portOp: "--port"}},
	{"luantiserver", server{what: "luantiserver", port: 30000, portOp: "--port"}},
	{"factorio", server{what: "factorio --start-server", flags: "--start-server --start-server-load-latest --start-server-load-scenario", port: 34197, portOp: "--port"}},
	{"openttd", server{what: "openttd dedicated server", flags: "-D", addrOp: "-D", port: 3979}},
	{"cs2", server{what: "cs2 dedicated server", flags: "-dedicated", port: 27015, portOp: "-port"}},
	{"srcds_run", server{what: "srcds dedicated server", port: 27015, portOp: "-port"}},
	{"srcds_linux", server{what: "srcds dedicated server", port: 27015, portOp: "-port"}},
	{"hlds_run", server{what: "hlds dedicated server", port: 27015, portOp: "-port"}},
	{"terraria-server", server{what: "terraria server", port: 7777, portOp: "-port"}},
	{"terrariaserver", server{what: "terraria server", port: 7777, portOp: "-port"}},
	{"tshock", server{what: "tshock", port: 7777}},
	{"valheim_server.x86_64", server{what: "valheim server", port: 2456, portOp: "-port"}},
	{"openarena-server", server{what: "openarena server", port: 27960}},
	{"ioq3ded", server{what: "quake3 dedicated server", port: 27960}},
	{"zandronum-server", server{what: "zandronum server", port: 10666, portOp: "-port"}},
	{"teeworlds_srv", server{what: "teeworlds server", port: 8303}},
	{"peerflix", server{what: "peerflix (streams over HTTP)", not: "-l --list", port: 8888, portOp: "-p --port"}},
	{"qrcp", server{what: "qrcp (serves the transfer)", subs: "send|receive|", notSub: "|config|version|completion|", port: 0, portOp: "-p --port", hostOp: "-i --interface"}},
	{"airshare", server{what: "airshare (serves the transfer)", flags: "--upload -u --file-path:never", port: 8000, portOp: "-p --port"}},
	{"magic-wormhole", server{what: "magic-wormhole", port: 0, kind: action.NetworkConnect}},
	{"croc", server{what: "croc relay", subs: "relay", port: 9009}},
	{"calibre-server", server{what: "calibre-server", port: 8080, portOp: "--port", hostOp: "--listen-on"}},
	{"kavita", server{what: "kavita", port: 5000}},
	{"jellyfin", server{what: "jellyfin", port: 8096}},
	{"navidrome", server{what: "navidrome", port: 4533}},
	{"gonic", server{what: "gonic", port: 4747}},
	{"mpd", server{what: "mpd", not: "--kill --version -V", port: 6600}},
	{"mopidy", server{what: "mopidy", port: 6680}},
	{"icecast", server{what: "icecast", port: 8000}},
	{"icecast2", server{what: "icecast", port: 8000}},
	{"mediamtx", server{what: "mediamtx", port: 8554}},
	{"rtsp-simple-server", server{what: "rtsp-simple-server", port: 8554}},
	{"minidlna", server{what: "minidlna", not: "-V -h", port: 8200}},
	{"minidlnad", server{what: "minidlna", not: "-V -h", port: 8200}},
	{"gerbera", server{what: "gerbera", port: 49152}},
	{"plexmediaserver", server{what: "plex media server", port: 32400}},
	{"transmission-daemon", server{what: "transmission-daemon", not: "-d --dump-settings", port: 9091, portOp: "-p --port", hostOp: "-i --bind-address-ipv4"}},
	{"deluged", server{what: "deluged", port: 58846, portOp: "-p --port", hostOp: "-i --interface"}},
	{"deluge-web", server{what: "deluge-web", port: 8112, portOp: "-p --port"}},
	{"qbittorrent-nox", server{what: "qbittorrent-nox", port: 8080, portOp: "--webui-port"}},
	{"aria2c", server{what: "aria2c --enable-rpc", flags: "--enable-rpc", port: 6800, portOp: "--rpc-listen-port"}},
	{"syncthing", server{what: "syncthing", subs: "|serve", notSub: "|cli|generate|decrypt|device-id|paths|upgrade|", not: "--generate --device-id --paths --upgrade --browser-only", port: 8384, addrOp: "--gui-address", valued: "--home --config --data --gui-apikey --logfile --log-max-old-files --log-max-size --logflags --audit-file"}},
	{"resilio-sync", server{what: "resilio sync", port: 8888}},
	{"rslsync", server{what: "resilio sync", port: 8888}},
	{"nextcloud", server{what: "nextcloud", port: 0}},
	{"seafile", server{what: "seafile", subs: "start", port: 8082}},
	{"glances", server{what: "glances web/server mode", flags: "-w --webserver -s --server", port: 61208, portOp: "-p --port", hostOp: "-B --bind"}},
	{"netdata", server{what: "netdata", port: 19999}},
	{"cockpit-ws", server{what: "cockpit-ws", port: 9090, portOp: "--port", hostOp: "--address"}},
	{"webmin", server{what: "webmin", port: 10000}},
	{"monit", server{what: "monit", not: "-t status summary:never", port: 2812}},
	{"prometheus", server{what: "prometheus", port: 9090, addrOp: "--web.listen-address"}},
	{"node_exporter", server{what: "node_exporter", port: 9100, addrOp: "--web.listen-address"}},
	{"pushgateway", server{what: "pushgateway", port: 9091, addrOp: "--web.listen-address"}},
	{"alertmanager", server{what: "alertmanager", port: 9093, addrOp: "--web.listen-address"}},
	{"blackbox_exporter", server{what: "blackbox_exporter", port: 9115, addrOp: "--web.listen-address"}},
	{"loki", server{what: "loki", port: 3100}},
	{"promtail", server{what: "promtail", port: 9080}},
	{"jaeger-all-in-one", server{what: "jaeger", port: 16686}},
	{"otelcol", server{what: "opentelemetry collector", port: 4317}},
	{"otelcol-contrib", server{what: "opentelemetry collector", port: 4317}},
	{"influxd", server{what: "influxd", notSub: "|inspect|upgrade|downgrade|recovery|version|print-config|", port: 8086}},
	{"telegraf", server{what: "telegraf", not: "--test --once --sample-config", port: 0}},
	{"zabbix_server", server{what: "zabbix_server", not: "-T --test-config -R --runtime-control -t", port: 10051}},
	{"zabbix_proxy", server{what: "zabbix_proxy", not: "-T --test-config -R --runtime-control", port: 10051}},
	{"zabbix_agentd", server{what: "zabbix_agentd", not: "-t --test -p --print -R --runtime-control -T --test-config", port: 10050}},
	{"zabbix_agent2", server{what: "zabbix_agent2", not: "-t --test -p --print -R --runtime-control -T --test-config", port: 10050}},
	{"snmpd", server{what: "snmpd", port: 161}},
	{"icinga2", server{what: "icinga2 daemon", subs: "daemon", not: "-C --validate", port: 5665}},
	{"munin-node", server{what: "munin-node", port: 4949}},
	{"netserver", server{what: "netserver (netperf)", port: 12865, portOp: "-p", hostOp: "-L"}},
	{"iperf", server{what: "iperf server", flags: "-s --server", port: 5001, portOp: "-p --port", hostOp: "-B --bind"}},
	{"iperf3", server{what: "iperf3 server", flags: "-s --server", port: 5201, portOp: "-p --port", hostOp: "-B --bind"}},
	{"st-util", server{what: "st-util (GDB server)", port: 4242, portOp: "-p --listen_port"}},
	{"gdbserver", server{what: "gdbserver", posPort: true, port: 0}},
	{"openocd", server{what: "openocd", flags: "-c:never", port: 3333}},
	{"dlv", server{what: "dlv --headless", flags: "--headless --listen -l", addrOp: "--listen -l", port: 0}},
	{"jhat", server{what: "jhat (HTTP heap browser)", port: 7000, portOp: "-port"}},
	{"jstatd", server{what: "jstatd", port: 1099, portOp: "-p"}},
	{"rmiregistry", server{what: "rmiregistry", port: 1099, posPort: true}},
	{"jwebserver", server{what: "jwebserver", port: 8000, portOp: "-p --port", hostOp: "-b --bind-address"}},
	{"jhsdb", server{what: "jhsdb debugd", subs: "debugd", port: 1099}},
	{"tnameserv", server{what: "tnameserv", port: 900, portOp: "-ORBInitialPort"}},
	{"orbd", server{what: "orbd", port: 1049, portOp: "-ORBInitialPort"}},
	{"ganache", server{what: "ganache", notSub: "|instances|", port: 8545, portOp: "-p --port --server.port", hostOp: "-h --host --server.host"}},
	{"ganache-cli", server{what: "ganache-cli", port: 8545, portOp: "-p --port", hostOp: "-h --host"}},
	{"hardhat", server{what: "hardhat node", subs: "node", port: 8545, portOp: "--port", hostOp: "--hostname"}},
	{"anvil", server{what: "anvil", port: 8545, portOp: "-p --port", hostOp: "--host"}},
	{"geth", server{what: "geth", notSub: "|account|attach|console:never|init|import|export|dump|dumpconfig|db|js|license|makecache|makedag|removedb|snapshot|wallet|version|version-check|", port: 30303, portOp: "--port"}},
	{"bitcoind", server{what: "bitcoind", port: 8333, portOp: "-port -rpcport:never"}},
	{"litecoind", server{what: "litecoind", port: 9333}},
	{"monerod", server{what: "monerod", notSub: "|exit|status|", port: 18080}},
	{"ipfs", server{what: "ipfs daemon", subs: "daemon", port: 4001}},
	{"kubo", server{what: "ipfs daemon", subs: "daemon", port: 4001}},
	{"tor", server{what: "tor", not: "--verify-config --hash-password --list-fingerprint --keygen --list-torrc-options --list-deprecated-options --list-modules --dump-config", port: 9050}},
	{"i2pd", server{what: "i2pd", port: 4444}},
	{"babeld", server{what: "babeld", port: 6696}},
	{"bird", server{what: "bird", not: "-p --parse", port: 179}},
	{"bird6", server{what: "bird", not: "-p --parse", port: 179}},
	{"bgpd", server{what: "bgpd", port: 179}},
	{"zebra", server{what: "zebra", port: 2601}},
	{"ospfd", server{what: "ospfd", port: 2604}},
	{"gobgpd", server{what: "gobgpd", port: 179}},
	{"named", server{what: "named (DNS server)", not: "-V -v", port: 53, portOp: "-p"}},
	{"unbound", server{what: "unbound (DNS server)", not: "-V -h", port: 53}},
	{"dnsmasq", server{what: "dnsmasq (DNS/DHCP server)", not: "--test -v --version --help", port: 53, portOp: "-p --port", hostOp: "-a --listen-address"}},
	{"coredns", server{what: "coredns", not: "-plugins -version", port: 53, portOp: "-dns.port"}},
	{"pdns_server", server{what: "powerdns", port: 53}},
	{"pdns_recursor", server{what: "powerdns recursor", port: 53}},
	{"dhcpd", server{what: "dhcpd", not: "-t -T", port: 67}},
	{"kea-dhcp4", server{what: "kea-dhcp4", not: "-t -T -v -V", port: 67}},
	{"udhcpd", server{what: "udhcpd", port: 67}},
	{"in.tftpd", server{what: "tftpd", port: 69}},
	{"tftpd", server{what: "tftpd", port: 69}},
	{"atftpd", server{what: "atftpd", port: 69}},
	{"pixiecore", server{what: "pixiecore (PXE boot server)", port: 80, portOp: "--port", hostOp: "--listen-addr"}},
	{"create_ap", server{what: "create_ap (wireless access point)", not: "--stop --list-running --list-clients", port: 0}},
	{"hostapd", server{what: "hostapd (wireless access point)", flags: "-B:never", port: 0}},
	{"sshd", server{what: "sshd", not: "-t -T -V", port: 22, portOp: "-p", addrOp: "-o ListenAddress:never"}},
	{"dropbear", server{what: "dropbear (SSH server)", port: 22, addrOp: "-p"}},
	{"telnetd", server{what: "telnetd", port: 23}},
	{"in.telnetd", server{what: "telnetd", port: 23}},
	{"vsftpd", server{what: "vsftpd", not: "-v", port: 21}},
	{"proftpd", server{what: "proftpd", not: "-t -V -v -l", port: 21}},
	{"pure-ftpd", server{what: "pure-ftpd", port: 21}},
	{"pyftpdlib", server{what: "pyftpdlib FTP server", port: 2121, portOp: "-p --port", hostOp: "-i --interface"}},
	{"smbd", server{what: "smbd (SMB server)", not: "-V -b", port: 445, portOp: "-p --port"}},
	{"nmbd", server{what: "nmbd", not: "-V", port: 137}},
	{"samba", server{what: "samba", not: "-V -b", port: 445}},
	{"smbserver", server{what: "impacket smbserver", port: 445, portOp: "-port"}},
	{"impacket-smbserver", server{what: "impacket smbserver", port: 445, portOp: "-port"}},
	{"ntlmrelayx", server{what: "impacket ntlmrelayx", port: 445}},
	{"impacket-ntlmrelayx", server{what: "impacket ntlmrelayx", port: 445}},
	{"wsgidav", server{what: "wsgidav (WebDAV server)", port: 8080, portOp: "-p --port", hostOp: "-H --host"}},
	{"rclone", server{what: "rclone serve", subs: "serve|rcd|mount:never", port: 8080, addrOp: "--addr --rc-addr"}},
	{"restic", server{what: "restic serve", subs: "serve", port: 0}},
	{"rest-server", server{what: "rest-server", port: 8000, addrOp: "--listen"}},
	{"minio", server{what: "minio server", subs: "server|gateway", port: 9000, addrOp: "--address", hostOp: "", portOp: ""}},
	{"garage", server{what: "garage server", subs: "server", port: 3900}},
	{"seaweedfs", server{what: "seaweedfs", subs: "server|master|volume|filer|s3", port: 9333}},
	{"weed", server{what: "seaweedfs", subs: "server|master|volume|filer|s3|webdav", port: 9333}},
	{"slapd", server{what: "slapd (LDAP server)", not: "-T -V -VV", port: 389, addrOp: "-h"}},
	{"krb5kdc", server{what: "krb5kdc", port: 88}},
	{"cupsd", server{what: "cupsd", not: "-t -T", port: 631}},
	{"ippeveprinter", server{what: "ippeveprinter (IPP printer server)", port: 8000, portOp: "-p"}},
	{"ippserver", server{what: "ippserver", port: 8000, portOp: "-p"}},
	{"avahi-daemon", server{what: "avahi-daemon", not: "-k --kill -r --reload -c --check -V", port: 5353}},
	{"dbus-daemon", server{what: "dbus-daemon on a TCP address", flags: "--address", port: 0, addrOp: "--address:never"}},
	{"distccd", server{what: "distccd", flags: "--daemon", port: 3632, portOp: "-p --port", hostOp: "--listen -a:never"}},
	{"icecc-scheduler", server{what: "icecream scheduler", port: 8765}},
	{"slurmctld", server{what: "slurmctld", not: "-V -h", port: 6817}},
	{"slurmd", server{what: "slurmd", not: "-V -h -C", port: 6818}},
	{"slurmdbd", server{what: "slurmdbd", not: "-V -h", port: 6819}},
	{"slurmrestd", server{what: "slurmrestd", not: "-V -h -d:never", posPort: true, port: 6820}},
	{"guacd", server{what: "guacd", port: 4822, portOp: "-l", hostOp: "-b"}},
	{"xrdp", server{what: "xrdp", not: "-k --kill -v", port: 3389, portOp: "-p --port"}},
	{"krdpserver", server{what: "krdpserver (RDP server)", port: 3389, portOp: "--port"}},
	{"krfb", server{what: "krfb (VNC server)", port: 5900}},
	{"krfb-virtualmonitor", server{what: "krfb virtual monitor (VNC server)", port: 5900, portOp: "--port"}},
	{"vncserver", server{what: "vncserver", not: "-kill --kill -list -version -help", port: 5901}},
	{"tigervncserver", server{what: "vncserver", not: "-kill --kill -list -version", port: 5901}},
	{"tightvncserver", server{what: "vncserver", not: "-kill --kill", port: 5901}},
	{"x11vnc", server{what: "x11vnc", not: "-version -help -storepasswd", port: 5900, portOp: "-rfbport", hostOp: "-listen"}},
	{"xnest", server{what: "Xnest (an X server)", port: 6001}},
	{"xvnc", server{what: "Xvnc", port: 5900, portOp: "-rfbport"}},
	{"x0vncserver", server{what: "x0vncserver", port: 5900, portOp: "-rfbport"}},
	{"wayvnc", server{what: "wayvnc", port: 5900, posPort: true}},
	{"novnc_proxy", server{what: "noVNC proxy", port: 6080, portOp: "--listen"}},
	{"websockify", server{what: "websockify", posPort: true, port: 0, kind: action.NetworkTunnel}},
	{"xpra", server{what: "xpra start", subs: "start|start-desktop|shadow|proxy", port: 0, addrOp: "--bind-tcp --bind-ssl --bind-ws"}},
	{"redis-server", server{what: "redis-server", not: "--test-memory -v --version", port: 6379, portOp: "--port", hostOp: "--bind", posPort: false}},
	{"redis-sentinel", server{what: "redis-sentinel", port: 26379, portOp: "--port"}},
	{"keydb-server", server{what: "keydb-server", port: 6379, portOp: "--port"}},
	{"valkey-server", server{what: "valkey-server", port: 6379, portOp: "--port"}},
	{"memcached", server{what: "memcached", not: "-V -h", port: 11211, portOp: "-p --port", hostOp: "-l --listen"}},
	{"mongod", server{what: "mongod", not: "--version --sysinfo", port: 27017, portOp: "--port", hostOp: "--bind_ip"}},
	{"mongos", server{what: "mongos", not: "--version", port: 27017, portOp: "--port", hostOp: "--bind_ip"}},
	{"mysqld", server{what: "mysqld", not: "--version -V --initialize --initialize-insecure --validate-config --print-defaults", port: 3306, portOp: "-P --port", hostOp: "--bind-address"}},
	{"mysqld_safe", server{what: "mysqld_safe", port: 3306, portOp: "--port"}},
	{"mariadbd", server{what: "mariadbd", not: "--version -V", port: 3306, portOp: "-P --port", hostOp: "--bind-address"}},
	{"mariadbd-safe", server{what: "mariadbd-safe", port: 3306, portOp: "--port"}},
	{"postgres", server{what: "postgres", not: "-V --version -C --describe-config --single --boot --check", port: 5432, portOp: "-p", hostOp: "-h"}},
	{"postmaster", server{what: "postmaster", not: "-V --version -C --describe-config --single", port: 5432, portOp: "-p", hostOp: "-h"}},
	{"pg_ctl", server{what: "pg_ctl start", subs: "start|restart", port: 5432, valued: "-D --pgdata -l --log -o --options -m --mode -t --timeout -s:never"}},
	{"pg_ctlcluster", server{what: "pg_ctlcluster start", subs: "start:never", port: 5432}},
	{"couchdb", server{what: "couchdb", not: "-s -k -d", port: 5984}},
	{"cassandra", server{what: "cassandra", not: "-v", port: 9042}},
	{"neo4j", server{what: "neo4j", subs: "console|start|restart", port: 7474}},
	{"arangod", server{what: "arangod", port: 8529}},
	{"clickhouse-server", server{what: "clickhouse-server", port: 8123}},
	{"clickhouse", server{what: "clickhouse server", subs: "server", port: 8123}},
	{"etcd", server{what: "etcd", port: 2379, addrOp: "--listen-client-urls"}},
	{"consul", server{what: "consul agent", subs: "agent", port: 8500}},
	{"vault", server{what: "vault server", subs: "server|proxy|agent", port: 8200}},
	{"nomad", server{what: "nomad agent", subs: "agent", port: 4646}},
	{"zookeeper-server-start", server{what: "zookeeper", port: 2181}},
	{"zkserver", server{what: "zookeeper", subs: "start|start-foreground|restart", port: 2181}},
	{"kafka-server-start", server{what: "kafka", port: 9092}},
	{"rabbitmq-server", server{what: "rabbitmq-server", port: 5672}},
	{"nats-server", server{what: "nats-server", port: 4222, portOp: "-p --port", hostOp: "-a --addr"}},
	{"mosquitto", server{what: "mosquitto (MQTT broker)", port: 1883, portOp: "-p --port"}},
	{"beanstalkd", server{what: "beanstalkd", not: "-v -h", port: 11300, portOp: "-p", hostOp: "-l"}},
	{"elasticsearch", server{what: "elasticsearch", port: 9200}},
	{"opensearch", server{what: "opensearch", port: 9200}},
	{"kibana", server{what: "kibana", port: 5601}},
	{"meilisearch", server{what: "meilisearch", port: 7700, addrOp: "--http-addr"}},
	{"typesense-server", server{what: "typesense-server", port: 8108}},
	{"solr", server{what: "solr start", subs: "start|restart", port: 8983, portOp: "-p"}},
	{"dockerd", server{what: "dockerd on a TCP address", flags: "-H --host", addrOp: "-H --host", port: 2375}},
	{"registry", server{what: "docker registry", subs: "serve", port: 5000}},
	{"crane", server{what: "crane registry serve", subs: "registry serve", port: 0, addrOp: "--address"}},
	{"k3s", server{what: "k3s server", subs: "server|agent", port: 6443}},
	{"kube-apiserver", server{what: "kube-apiserver", port: 6443}},
	{"jenkins", server{what: "jenkins", port: 8080, portOp: "--httpPort"}},
	{"jenkins-lts", server{what: "jenkins", port: 8080}},
	{"nexus", server{what: "nexus", subs: "run|start", port: 8081}},
	{"sonar", server{what: "sonarqube", subs: "start|console", port: 9000}},
	{"catalina", server{what: "tomcat", subs: "run|start", port: 8080}},
	{"asadmin", server{what: "glassfish start-domain", subs: "start-domain", port: 8080}},
	{"mvn", server{what: "maven run goal (serves)", subs: "jetty:run|spring-boot:run|tomcat7:run|quarkus:dev|liberty:dev|liberty:run|wildfly:run|appengine:run|jetty:run-war|tomcat:run|exec:java:never", port: 8080}},
	{"mvnw", server{what: "maven run goal (serves)", subs: "jetty:run|spring-boot:run|tomcat7:run|quarkus:dev|liberty:dev|liberty:run|wildfly:run|appengine:run|tomcat:run", port: 8080}},
	{"gradle", server{what: "gradle run task (serves)", subs: "bootrun|apprun|jettyrun|tomcatrun|quarkusdev|appenginerun", port: 8080}},
	{"gradlew", server{what: "gradle run task (serves)", subs: "bootrun|apprun|jettyrun|tomcatrun|quarkusdev|appenginerun", port: 8080}},
	{"quarkus", server{what: "quarkus dev", subs: "dev", port: 8080}},
	{"sbt", server{what: "sbt run (Play)", subs: "run|~run", port: 9000}},
	{"play", server{what: "play run", subs: "run", port: 9000}},
	{"mn", server{what: "micronaut run", subs: "run", port: 8080}},
	{"grails", server{what: "grails run-app", subs: "run-app", port: 8080}},
	{"dotnet", server{what: "dotnet app listening on --urls", flags: "--urls", addrOp: "--urls"}},
	{"dev_appserver", server{what: "dev_appserver", port: 8080, portOp: "--port", hostOp: "--host"}},
	{"smtp-sink", server{what: "smtp-sink", posPort: true, port: 25}},
	{"mailhog", server{what: "mailhog", port: 8025}},
	{"mailpit", server{what: "mailpit", port: 8025}},
	{"maildev", server{what: "maildev", port: 1080}},
	{"smtp4dev", server{what: "smtp4dev", port: 5000}},
	{"fakesmtp", server{what: "fakesmtp", port: 25}},
	{"aiosmtpd", server{what: "aiosmtpd", port: 8025, addrOp: "-l --listen"}},
	{"exim", server{what: "exim daemon", flags: "-bd", port: 25}},
	{"sendmail", server{what: "sendmail daemon", flags: "-bd", port: 25}},
	{"dovecot", server{what: "dovecot", not: "-n -a --version stop reload", port: 143}},
	{"ejabberd", server{what: "ejabberd", port: 5222}},
	{"ejabberdctl", server{what: "ejabberdctl start", subs: "start|restart|foreground|live", port: 5222}},
	{"prosody", server{what: "prosody", port: 5222}},
	{"prosodyctl", server{what: "prosodyctl start", subs: "start|restart", port: 5222}},
	{"synapse", server{what: "synapse homeserver", port: 8008}},
	{"murmurd", server{what: "mumble server", port: 64738}},
	{"mumble-server", server{what: "mumble server", port: 64738}},
	{"ts3server", server{what: "teamspeak server", port: 9987}},
	{"asterisk", server{what: "asterisk", not: "-r -R -rx -V", port: 5060}},
	{"freeswitch", server{what: "freeswitch", port: 5060}},
	{"kamailio", server{what: "kamailio", not: "-c -v -V", port: 5060}},
	{"sslh", server{what: "sslh", port: 443, addrOp: "-p --listen"}},
	{"xinetd", server{what: "xinetd", port: 0}},
	{"inetd", server{what: "inetd", port: 0}},
	{"rpcbind", server{what: "rpcbind", port: 111}},
	{"nfsd", server{what: "nfsd", port: 2049}},
	{"rpc.nfsd", server{what: "nfsd", port: 2049}},
	{"tgtd", server{what: "iscsi target", port: 3260}},
	{"rsyncd", server{what: "rsync daemon", port: 873}},
	{"git-daemon", server{what: "git daemon", port: 9418, portOp: "--port"}},
	{"hg", server{what: "hg serve", subs: "serve", port: 8000, portOp: "-p --port", hostOp: "-a --address"}},
	{"fossil", server{what: "fossil server", subs: "server|ui|serve", port: 8080, portOp: "-P --port"}},
	{"gitweb", server{what: "gitweb", port: 0}},
	{"verdaccio", server{what: "verdaccio", port: 4873, addrOp: "-l --listen"}},
	{"devpi-server", server{what: "devpi-server", not: "--init --gen-config --export --import", port: 3141, portOp: "--port", hostOp: "--host"}},
	{"pypiserver", server{what: "pypiserver", subs: "run|", notSub: "|update|", port: 8080, portOp: "-p --port"}},
	{"pypi-server", server{what: "pypiserver", subs: "run|", notSub: "|update|", port: 8080, portOp: "-p --port"}},
	{"sinopia", server{what: "sinopia", port: 4873}},
	{"gollum", server{what: "gollum", port: 4567, portOp: "-p --port", hostOp: "-h --host:never --bind"}},
	{"hledger", server{what: "hledger web", subs: "web", port: 5000, portOp: "--port"}},
	{"beancount-web", server{what: "fava", port: 5000}},
	{"fava", server{what: "fava", port: 5000, portOp: "-p --port", hostOp: "-H --host"}},
	{"kiwix-serve", server{what: "kiwix-serve", port: 80, portOp: "-p --port", hostOp: "-i --address"}},
	{"calibre", server{what: "calibre content server", flags: "--start-in-tray:never", port: 0}},
	{"ubooquity", server{what: "ubooquity", port: 2202}},
	{"var-dump-server", server{what: "var-dump-server", port: 9912, hostOp: "--host"}},
	{"confettysh", server{what: "confettysh (SSH app server)", port: 2222, portOp: "-p --port"}},
	{"soft", server{what: "soft serve", subs: "serve", port: 23231}},
	{"tmate", server{what: "tmate (shares the terminal)", notSub: "|kill-server|-V|", port: 0, kind: action.NetworkTunnel}},
	{"upterm", server{what: "upterm host (shares the terminal)", subs: "host", port: 0, kind: action.NetworkTunnel}},
	{"sshx", server{what: "sshx (shares the terminal)", port: 0, kind: action.NetworkTunnel}},
	{"teleconsole", server{what: "teleconsole (shares the terminal)", port: 0, kind: action.NetworkTunnel}},
	{"ttyshare", server{what: "tty-share", port: 8000}},
	{"tty-share", server{what: "tty-share", not: "--version", port: 8000}},
	{"wetty", server{what: "wetty", port: 3000, portOp: "-p --port"}},
	{"shellinaboxd", server{what: "shellinaboxd", port: 4200, portOp: "-p --port"}},
	{"sish", server{what: "sish", port: 2222, kind: action.NetworkTunnel}},
	{"sslocal", server{what: "shadowsocks local", port: 1080, kind: action.NetworkTunnel}},
	{"ssserver", server{what: "shadowsocks server", port: 8388, kind: action.NetworkTunnel}},
	{"ss-local", server{what: "shadowsocks local (SOCKS proxy to a remote server)", port: 1080, portOp: "-l", kind: action.NetworkTunnel}},
	{"ss-server", server{what: "shadowsocks server", port: 8388, portOp: "-p", kind: action.NetworkTunnel}},
	{"ss-redir", server{what: "shadowsocks redir", port: 0, kind: action.NetworkTunnel}},
	{"ss-tunnel", server{what: "shadowsocks tunnel", port: 0, kind: action.NetworkTunnel}},
	{"v2ray", server{what: "v2ray proxy", subs: "run|", notSub: "|version|uuid|tls|verify|api|convert|test|", port: 0, kind: action.NetworkTunnel}},
	{"xray", server{what: "xray proxy", subs: "run|", notSub: "|version|uuid|tls|x25519|api|convert|test|", port: 0, kind: action.NetworkTunnel}},
	{"trojan", server{what: "trojan proxy", port: 443, kind: action.NetworkTunnel}},
	{"trojan-go", server{what: "trojan proxy", port: 443, kind: action.NetworkTunnel}},
	{"hysteria", server{what: "hysteria proxy", subs: "server|client|", notSub: "|version|", port: 0, kind: action.NetworkTunnel}},
	{"sing-box", server{what: "sing-box proxy", subs: "run", port: 0, kind: action.NetworkTunnel}},
	{"clash", server{what: "clash proxy", not: "-t -v", port: 7890, kind: action.NetworkTunnel}},
	{"mihomo", server{what: "clash proxy", not: "-t -v", port: 7890, kind: action.NetworkTunnel}},
	{"gost", server{what: "gost relay", port: 0, kind: action.NetworkTunnel}},
	{"rinetd", server{what: "rinetd port redirector", port: 0, kind: action.NetworkTunnel}},
	{"redir", server{what: "redir port redirector", port: 0, portOp: "--lport -l", kind: action.NetworkTunnel}},
	{"rathole", server{what: "rathole tunnel", port: 0, kind: action.NetworkTunnel}},
	{"frpc", server{what: "frp client (reverse proxy tunnel)", notSub: "|verify|reload|status|stop|", port: 0, kind: action.NetworkTunnel}},
	{"frps", server{what: "frp server (reverse proxy tunnel)", notSub: "|verify|", port: 7000, kind: action.NetworkTunnel}},
	{"nps", server{what: "nps tunnel server", port: 8024, kind: action.NetworkTunnel}},
	{"npc", server{what: "nps tunnel client", port: 0, kind: action.NetworkTunnel}},
	{"chisel", server{what: "chisel tunnel", subs: "server|client", port: 8080, portOp: "-p --port", kind: action.NetworkTunnel}},
	{"bore", server{what: "bore tunnel", subs: "local|server", port: 0, kind: action.NetworkTunnel}},
	{"inlets", server{what: "inlets tunnel", subs: "client|server|http|tcp|", notSub: "|version|", port: 0, kind: action.NetworkTunnel}},
	{"inlets-pro", server{what: "inlets tunnel", subs: "client|server|http|tcp|", notSub: "|version|", port: 0, kind: action.NetworkTunnel}},
	{"code-tunnel", server{what: "VS Code tunnel", notSub: "|help|status|kill|unregister|user|prune|service:never|", kind: action.NetworkTunnel}},
	{"ngrok", server{what: "ngrok tunnel", subs: "http|tcp|tls|start|tunnel|http2|", notSub: "|config|version|update|diagnose|authtoken|api|credits|service:never|", port: 0, kind: action.NetworkTunnel}},
	{"lt", server{what: "localtunnel", port: 0, portOp: "-p --port", kind: action.NetworkTunnel}},
	{"localtunnel", server{what: "localtunnel", port: 0, portOp: "-p --port", kind: action.NetworkTunnel}},
	{"pagekite", server{what: "pagekite tunnel", posPort: true, kind: action.NetworkTunnel}},
	{"pagekite.py", server{what: "pagekite tunnel", posPort: true, kind: action.NetworkTunnel}},
	{"telebit", server{what: "telebit tunnel", subs: "http|tcp|ssh|", notSub: "|status|disable|", kind: action.NetworkTunnel}},
	{"loophole", server{what: "loophole tunnel", subs: "http|https|path|webdav|", notSub: "|account|version|", kind: action.NetworkTunnel}},
	{"tunnelto", server{what: "tunnelto", portOp: "--port -p", kind: action.NetworkTunnel}},
	{"tunnelmole", server{what: "tunnelmole", posPort: true, kind: action.NetworkTunnel}},
	{"tmole", server{what: "tunnelmole", posPort: true, kind: action.NetworkTunnel}},
	{"localxpose", server{what: "localxpose tunnel", subs: "tunnel", kind: action.NetworkTunnel}},
	{"loclx", server{what: "localxpose tunnel", subs: "tunnel", kind: action.NetworkTunnel}},
	{"pinggy", server{what: "pinggy tunnel", kind: action.NetworkTunnel}},
	{"zrok", server{what: "zrok share", subs: "share|access|reserve", kind: action.NetworkTunnel}},
	{"expose", server{what: "expose tunnel", subs: "share|serve|share-cwd|", notSub: "|token|default-server|default-domain|servers|", kind: action.NetworkTunnel}},
	{"devtunnel", server{what: "dev tunnel", subs: "host|port create:never|connect", kind: action.NetworkTunnel}},
	{"sshuttle", server{what: "sshuttle (VPN over ssh)", kind: action.NetworkTunnel}},
	{"ptunnel", server{what: "ICMP tunnel", kind: action.NetworkTunnel}},
	{"ptunnel-ng", server{what: "ICMP tunnel", kind: action.NetworkTunnel}},
	{"hans", server{what: "ICMP tunnel", kind: action.NetworkTunnel}},
	{"dns2tcpc", server{what: "DNS tunnel client", kind: action.NetworkTunnel}},
	{"dns2tcpd", server{what: "DNS tunnel server", kind: action.NetworkTunnel}},
	{"dnscat", server{what: "DNS tunnel", kind: action.NetworkTunnel}},
	{"dnscat2", server{what: "DNS tunnel", kind: action.NetworkTunnel}},
	{"udp2raw", server{what: "udp2raw tunnel", kind: action.NetworkTunnel}},
	{"kcptun", server{what: "kcptun tunnel", kind: action.NetworkTunnel}},
	{"iproxy", server{what: "iproxy (forwards a local port to an iOS device)", posPort: true, kind: action.NetworkTunnel}},
	{"ktunnel", server{what: "ktunnel", subs: "expose|inject", kind: action.NetworkTunnel}},
	{"kubefwd", server{what: "kubefwd (forwards cluster services)", subs: "svc|services", kind: action.NetworkTunnel}},
	{"telepresence", server{what: "telepresence", subs: "connect|intercept|ingest|replace", kind: action.NetworkTunnel}},
	{"minikube", server{what: "minikube tunnel", subs: "tunnel", kind: action.NetworkTunnel}},
	{"upnpc", server{what: "upnpc port mapping on the router", flags: "-a -r", kind: action.NetworkTunnel}},
	{"natpmpc", server{what: "NAT-PMP port mapping on the router", flags: "-a", kind: action.NetworkTunnel}},
	{"ligolo-proxy", server{what: "ligolo-ng proxy", kind: action.NetworkTunnel}},
	{"ligolo-agent", server{what: "ligolo-ng agent", kind: action.NetworkTunnel}},
	{"proxy", server{what: "ligolo-ng proxy", flags: "-selfcert -laddr", kind: action.NetworkTunnel}},
	{"microsocks", server{what: "microsocks SOCKS proxy", port: 1080, portOp: "-p", hostOp: "-i"}},
	{"danted", server{what: "dante SOCKS server", port: 1080}},
	{"sockd", server{what: "dante SOCKS server", port: 1080}},
	{"3proxy", server{what: "3proxy", port: 3128}},
	{"polipo", server{what: "polipo proxy", port: 8123}},
	{"cntlm", server{what: "cntlm proxy", port: 3128}},
	{"goproxy", server{what: "goproxy", port: 0}},

	// More daemons.
	{"kadmind", server{what: "kadmind", port: 749}},
	{"radiusd", server{what: "freeradius", not: "-C -v", port: 1812}},
	{"freeradius", server{what: "freeradius", not: "-C -v", port: 1812}},
	{"opendkim", server{what: "opendkim", not: "-n -V", port: 8891}},
	{"spamd", server{what: "spamd", port: 783}},
	{"clamd", server{what: "clamd", port: 3310}},
	{"lpd", server{what: "lpd", port: 515}},
	{"mediatomb", server{what: "mediatomb", port: 49152}},
	{"rygel", server{what: "rygel", port: 0}},
	{"sabnzbd", server{what: "sabnzbd", port: 8080}},
	{"sabnzbdplus", server{what: "sabnzbd", port: 8080}},
	{"nzbget", server{what: "nzbget daemon", flags: "-D --daemon -s --server", port: 6789}},
	{"sonarr", server{what: "sonarr", port: 8989}},
	{"radarr", server{what: "radarr", port: 7878}},
	{"lidarr", server{what: "lidarr", port: 8686}},
	{"prowlarr", server{what: "prowlarr", port: 9696}},
	{"jackett", server{what: "jackett", port: 9117}},
	{"bazarr", server{what: "bazarr", port: 6767}},
	{"hass", server{what: "home assistant", notSub: "|script|", port: 8123}},
	{"homeassistant", server{what: "home assistant", port: 8123}},
	{"node-red", server{what: "node-red", port: 1880, portOp: "-p --port"}},
	{"emqx", server{what: "emqx", subs: "start|foreground|console", port: 1883}},
	{"domoticz", server{what: "domoticz", port: 8080, portOp: "-www"}},
	{"octoprint", server{what: "octoprint serve", subs: "serve", port: 5000, portOp: "--port", hostOp: "--host"}},
	{"moonraker", server{what: "moonraker", port: 7125}},
	{"pihole-ftl", server{what: "pi-hole FTL", port: 53}},
	{"stubby", server{what: "stubby", not: "-i", port: 53}},
	{"dnscrypt-proxy", server{what: "dnscrypt-proxy", not: "-check -list -list-all -resolve -version", port: 53}},
	{"knotd", server{what: "knot DNS", port: 53}},
	{"nsd", server{what: "nsd", port: 53}},
	{"dnsdist", server{what: "dnsdist", not: "--check-config -c:never", port: 53}},
	{"smtpd", server{what: "smtpd", not: "-n", port: 25}},
	{"synctl", server{what: "synapse synctl start", subs: "start|restart", port: 8008}},
	{"conduit", server{what: "conduit matrix server", port: 6167}},
	{"dendrite", server{what: "dendrite matrix server", port: 8008}},
	{"znc", server{what: "znc", not: "--makeconf --makepass --makepem -s:never", port: 6697}},
	{"ngircd", server{what: "ngircd", not: "--configtest -t", port: 6667}},
	{"inspircd", server{what: "inspircd", port: 6667}},
	{"unrealircd", server{what: "unrealircd", subs: "start|restart", port: 6667}},
	{"bitlbee", server{what: "bitlbee", port: 6667}},
	{"quassel-core", server{what: "quassel core", port: 4242}},
	{"quasselcore", server{what: "quassel core", port: 4242}},
	{"thelounge", server{what: "thelounge start", subs: "start", port: 9000}},
	{"drone-server", server{what: "drone server", port: 80}},
	{"woodpecker-server", server{what: "woodpecker server", port: 8000}},
	{"concourse", server{what: "concourse web", subs: "web|quickstart", port: 8080}},
	{"buildkitd", server{what: "buildkitd", flags: "--addr", addrOp: "--addr", port: 0}},
	{"artifactory", server{what: "artifactory", port: 8081}},
	{"vaultwarden", server{what: "vaultwarden", port: 8000}},
	{"authelia", server{what: "authelia", port: 9091}},
	{"oauth2-proxy", server{what: "oauth2-proxy", port: 4180, addrOp: "--http-address"}},
	{"keepalived", server{what: "keepalived", not: "-t --config-test", port: 0}},
	{"dhcpd6", server{what: "dhcpd", port: 547}},
	{"dhcrelay", server{what: "dhcp relay", port: 67}},
	{"miredo", server{what: "miredo teredo tunnel", kind: action.NetworkTunnel}},
	{"ocserv", server{what: "openconnect server", port: 443}},
	{"strongswan", server{what: "strongswan", subs: "start|restart", port: 500}},
	{"ipsec", server{what: "ipsec start", subs: "start|restart", port: 500}},
	{"charon", server{what: "strongswan charon", port: 500}},
	{"pptpd", server{what: "pptpd", port: 1723}},
	{"xl2tpd", server{what: "xl2tpd", port: 1701}},
	{"softether", server{what: "softether vpn server", subs: "start", port: 443}},
	{"vpnserver", server{what: "softether vpn server", subs: "start", port: 443}},
	{"headscale", server{what: "headscale serve", subs: "serve", port: 8080}},
	{"netbird", server{what: "netbird", subs: "up|service", kind: action.NetworkConnect}},
	{"tailscaled", server{what: "tailscaled", port: 41641}},
	{"zerotier-one", server{what: "zerotier", port: 9993}},
	{"yggdrasil", server{what: "yggdrasil", not: "-genconf -normaliseconf", port: 0}},
	{"cjdroute", server{what: "cjdns", port: 0}},
	{"nebula", server{what: "nebula", port: 4242}},
	{"gotify", server{what: "gotify server", port: 80}},
	{"ntfy", server{what: "ntfy serve", subs: "serve", port: 80}},
	{"apprise-api", server{what: "apprise api", port: 8000}},
	{"searxng", server{what: "searxng", port: 8888}},
	{"whoogle-search", server{what: "whoogle", port: 5000}},
	{"miniflux", server{what: "miniflux", not: "-migrate -create-admin -version -info", port: 8080}},
	{"freshrss", server{what: "freshrss", port: 80}},
	{"wallabag", server{what: "wallabag", port: 80}},
	{"paperless", server{what: "paperless", port: 8000}},
	{"photoprism", server{what: "photoprism start", subs: "start|up", port: 2342}},
	{"filestash", server{what: "filestash", port: 8334}},
	{"seafile-server", server{what: "seafile", port: 8000}},
	{"owncast", server{what: "owncast", port: 8080}},
	{"peertube", server{what: "peertube", port: 9000}},
	{"mastodon", server{what: "mastodon", port: 3000}},
	{"gotosocial", server{what: "gotosocial server start", subs: "server start", port: 8080}},
	{"writefreely", server{what: "writefreely", notSub: "|config|db|keys|user|", port: 8080}},
	{"hedgedoc", server{what: "hedgedoc", port: 3000}},
	{"etherpad", server{what: "etherpad", port: 9001}},
	{"wiki-js", server{what: "wiki.js", port: 3000}},
	{"bookstack", server{what: "bookstack", port: 80}},
	{"outline", server{what: "outline", port: 3000}},
	{"mattermost", server{what: "mattermost server", subs: "server|", port: 8065}},
	{"rocketchat", server{what: "rocket.chat", port: 3000}},
	{"zulip", server{what: "zulip", port: 80}},
	{"discourse", server{what: "discourse", port: 80}},
	{"flarum", server{what: "flarum", port: 80}},
	// More servers: documentation, preview and mock servers.
	{"quarto", server{what: "quarto preview", subs: "preview|serve", port: 4200, portOp: "--port", hostOp: "--host"}},
	{"marp", server{what: "marp --server", flags: "-s --server -p --preview", port: 8080}},
	{"reveal-md", server{what: "reveal-md", not: "--static --print", port: 1948, portOp: "-p --port", hostOp: "--host"}},
	{"markserv", server{what: "markserv", port: 8642, portOp: "-p --port", hostOp: "-a --address"}},
	{"redoc-cli", server{what: "redoc-cli serve", subs: "serve", port: 8080, portOp: "-p --port"}},
	{"redocly", server{what: "redocly preview-docs", subs: "preview-docs|preview", port: 8080, portOp: "-p --port"}},
	{"mockoon-cli", server{what: "mockoon-cli start", subs: "start", port: 3000, portOp: "-p --port"}},
	{"prism", server{what: "prism mock/proxy", subs: "mock|proxy", port: 4010, portOp: "-p --port", hostOp: "-h --host"}},
	{"wiremock", server{what: "wiremock", port: 8080, portOp: "--port"}},
	{"nanoc", server{what: "nanoc view", subs: "view|live", port: 3000, portOp: "-p --port"}},
	{"adsf", server{what: "adsf", port: 3000, portOp: "-p --port"}},
	{"yard", server{what: "yard server", subs: "server", port: 8808, portOp: "-p --port"}},
	{"hakyll", server{what: "hakyll watch", subs: "watch|server", port: 8000}},
	{"site", server{what: "hakyll site watch", subs: "watch|server", port: 8000}},
	{"trunk", server{what: "trunk serve", subs: "serve", port: 8080, portOp: "--port", addrOp: "--address"}},
	{"dx", server{what: "dioxus serve", subs: "serve", port: 8080, portOp: "--port"}},
	{"dioxus", server{what: "dioxus serve", subs: "serve", port: 8080, portOp: "--port"}},
	{"cargo-leptos", server{what: "cargo leptos watch/serve", subs: "watch|serve", port: 3000}},
	{"simple-http-server", server{what: "simple-http-server", port: 8000, portOp: "-p --port", hostOp: "-i --ip"}},
	{"basic-http-server", server{what: "basic-http-server", port: 4000, addrOp: "-a --addr"}},
	{"static-web-server", server{what: "static-web-server", port: 80, portOp: "-p --port", hostOp: "-a --host"}},
	{"sfz", server{what: "sfz", port: 5000, portOp: "-p --port", hostOp: "-b --bind"}},
	{"dufs", server{what: "dufs", port: 5000, portOp: "-p --port", hostOp: "-b --bind"}},
	{"godoc", server{what: "godoc -http", flags: "-http", addrOp: "-http", port: 6060}},
	{"pkgsite", server{what: "pkgsite", port: 8080, addrOp: "-http"}},
	{"present", server{what: "go present", port: 3999, addrOp: "-http"}},
	{"gopherjs", server{what: "gopherjs serve", subs: "serve", port: 8080}},
	{"pocketbase", server{what: "pocketbase serve", subs: "serve", port: 8090, addrOp: "--http"}},
	{"livebook", server{what: "livebook server", subs: "server", port: 8080, portOp: "--port"}},
	{"epmd", server{what: "epmd (Erlang port mapper)", not: "-names -kill -stop", port: 4369}},
	{"wp", server{what: "wp server", subs: "server", port: 8080, portOp: "--port", hostOp: "--host"}},
	{"drush", server{what: "drush runserver", subs: "runserver|rs|serve", port: 8888, posPort: true}},
	{"valet", server{what: "valet start", subs: "start|restart|install", port: 80}},
	{"kc", server{what: "keycloak start", subs: "start|start-dev", port: 8080, portOp: "--http-port"}},
	{"activemq", server{what: "activemq start", subs: "start|console|restart", port: 61616}},
	{"artemis", server{what: "artemis run", subs: "run", port: 61616}},
	{"liberty", server{what: "open liberty server", subs: "run|start", port: 9080}},
	{"zap", server{what: "OWASP ZAP daemon", flags: "-daemon", port: 8080, portOp: "-port"}},
	{"burpsuite", server{what: "Burp Suite proxy", port: 8080}},
	{"msfconsole", server{what: "metasploit console (handlers listen)", flags: "-x -r", port: 0}},
	{"sliver-server", server{what: "sliver C2 server", port: 31337}},
	{"frida-server", server{what: "frida-server", port: 27042, addrOp: "-l --listen"}},
	{"lldb-server", server{what: "lldb-server", subs: "platform|gdbserver|g", port: 0, addrOp: "--listen"}},
	{"chromium", server{what: "chromium remote debugging", flags: "--remote-debugging-port", portOp: "--remote-debugging-port", port: 9222}},
	{"chromium-browser", server{what: "chromium remote debugging", flags: "--remote-debugging-port", portOp: "--remote-debugging-port", port: 9222}},
	{"google-chrome", server{what: "chrome remote debugging", flags: "--remote-debugging-port", portOp: "--remote-debugging-port", port: 9222}},
	{"google-chrome-stable", server{what: "chrome remote debugging", flags: "--remote-debugging-port", portOp: "--remote-debugging-port", port: 9222}},
	{"chrome", server{what: "chrome remote debugging", flags: "--remote-debugging-port", portOp: "--remote-debugging-port", port: 9222}},
	{"firefox", server{what: "firefox debugger server", flags: "--start-debugger-server", port: 6000}},
	{"ipython", server{what: "ipython kernel", subs: "kernel", port: 0}},
	{"ipcontroller", server{what: "ipyparallel controller", port: 0}},
	{"ipcluster", server{what: "ipyparallel cluster", subs: "start", port: 0}},
	{"dask-scheduler", server{what: "dask scheduler", port: 8786, portOp: "--port", hostOp: "--host"}},
	{"dask", server{what: "dask scheduler", subs: "scheduler|worker", port: 8786, portOp: "--port"}},
	{"ray", server{what: "ray start --head", subs: "start|dashboard:never|serve", port: 6379, portOp: "--port"}},
	{"celery", server{what: "celery flower", subs: "flower", port: 5555, portOp: "--port"}},
	{"flower", server{what: "celery flower", port: 5555, portOp: "--port", hostOp: "--address"}},
	{"airflow", server{what: "airflow webserver", subs: "webserver|standalone|api-server|triggerer:never", port: 8080, portOp: "-p --port", hostOp: "-H --hostname"}},
	{"superset", server{what: "superset run", subs: "run", port: 8088, portOp: "-p --port", hostOp: "-h --host"}},
	{"scrapyd", server{what: "scrapyd", port: 6800}},
	{"radicale", server{what: "radicale (CalDAV server)", port: 5232, addrOp: "-H --hosts --server-hosts"}},
	{"sqlite-web", server{what: "sqlite-web", port: 8080, portOp: "-p --port", hostOp: "-H --host"}},
	{"pgweb", server{what: "pgweb", port: 8081, portOp: "--listen", hostOp: "--bind"}},
	{"adminer", server{what: "adminer", port: 8080}},
	{"portainer", server{what: "portainer", port: 9000}},
	{"uptime-kuma", server{what: "uptime kuma", port: 3001}},
	{"cadvisor", server{what: "cadvisor", port: 8080, portOp: "-port"}},
	{"statsd", server{what: "statsd", port: 8125}},
	{"carbon-cache", server{what: "carbon-cache", subs: "start", port: 2003}},
	{"victoria-metrics", server{what: "victoria-metrics", port: 8428}},
	{"thanos", server{what: "thanos", subs: "query|sidecar|store|receive|rule|compact", port: 10902}},
	{"tempo", server{what: "tempo", port: 3200}},
	{"zipkin", server{what: "zipkin", port: 9411}},
	{"saned", server{what: "saned (scanner server)", port: 6566}},
	{"snapserver", server{what: "snapserver", port: 1704}},
	{"shairport-sync", server{what: "shairport-sync (AirPlay receiver)", port: 5000}},
	{"uxplay", server{what: "uxplay (AirPlay receiver)", port: 7000}},
	{"motion", server{what: "motion (webcam server)", port: 8081}},
	{"mjpg_streamer", server{what: "mjpg-streamer", port: 8080}},
	{"go2rtc", server{what: "go2rtc", port: 1984}},
	{"ffserver", server{what: "ffserver", port: 8090}},
	{"rstudio-server", server{what: "rstudio-server", subs: "start|restart", port: 8787}},
	{"shiny-server", server{what: "shiny-server", port: 3838}},
	{"svnserve", server{what: "svnserve", flags: "-d --daemon -X --listen-once -i:never", port: 3690, portOp: "--listen-port", hostOp: "--listen-host"}},
	{"tcpserver", server{what: "tcpserver (ucspi-tcp)", posPort: true, port: 0}},
	{"tcpsvd", server{what: "tcpsvd", posPort: true, port: 0}},
	{"udpsvd", server{what: "udpsvd", posPort: true, port: 0}},
	{"redsocks", server{what: "redsocks transparent proxy", port: 12345, kind: action.NetworkTunnel}},
	{"tun2socks", server{what: "tun2socks", kind: action.NetworkTunnel}},
	{"boundary", server{what: "boundary connect (forwards a local port)", subs: "connect|dev", kind: action.NetworkTunnel}},
	{"okteto", server{what: "okteto up (forwards ports to the cluster)", subs: "up", kind: action.NetworkTunnel}},
	{"skaffold", server{what: "skaffold dev (port-forwards)", subs: "dev|debug", flags: "--port-forward", kind: action.NetworkTunnel}},
	{"tilt", server{what: "tilt up (web UI and port-forwards)", subs: "up", port: 10350, portOp: "--port"}},
	{"dapr", server{what: "dapr run (sidecar listens)", subs: "run|dashboard", port: 3500, portOp: "--dapr-http-port -H"}},
	{"garden", server{what: "garden dev", subs: "dev|serve", port: 9777}},
	{"sccache", server{what: "sccache server", flags: "--start-server", port: 4226}},
	{"mailcatcher", server{what: "mailcatcher", port: 1080}},
	{"xonotic-dedicated", server{what: "xonotic dedicated server", port: 26000}},
	{"factoryserver", server{what: "satisfactory dedicated server", port: 7777}},
	{"rustdedicated", server{what: "rust dedicated server", port: 28015}},
	{"7daystodieserver", server{what: "7 days to die server", port: 26900}},
	{"enshrouded_server", server{what: "enshrouded server", port: 15636}},
	{"bedrock_server", server{what: "minecraft bedrock server", port: 19132}},
	{"gnome-remote-desktop-daemon", server{what: "gnome remote desktop", port: 3389}},
	{"rustdesk", server{what: "rustdesk", flags: "--server", port: 21116}},
	{"spiced", server{what: "spice server", port: 5900}},
	{"ntpd", server{what: "ntpd (NTP server)", not: "-q -n:never --version", port: 123}},
	{"chronyd", server{what: "chronyd", not: "-q -Q", port: 123}},
	{"radvd", server{what: "radvd", not: "-c --configtest", port: 0}},
	{"rsyslogd", server{what: "rsyslogd", not: "-N", port: 514}},
	{"syslog-ng", server{what: "syslog-ng", not: "--syntax-only -s", port: 514}},
	{"ftpd", server{what: "ftpd", port: 21}},
	{"uploadserver", server{what: "uploadserver (HTTP file server)", port: 8000, posPort: true, hostOp: "-b --bind", valued: "-d --directory -c --certificate --theme --basic-auth --basic-auth-upload --server-certificate --client-certificate"}},
	{"rangehttpserver", server{what: "RangeHTTPServer", port: 8000, posPort: true, hostOp: "-b --bind"}},
	{"waitress", server{what: "waitress", port: 8080, portOp: "--port", hostOp: "--host", addrOp: "--listen"}},
	{"pproxy", server{what: "pproxy (proxy server)", port: 8080}},
	{"rpyc_classic", server{what: "rpyc classic server (runs code for whoever connects)", port: 18812, portOp: "-p --port", hostOp: "--host"}},
	{"rpyc_classic.py", server{what: "rpyc classic server (runs code for whoever connects)", port: 18812, portOp: "-p --port", hostOp: "--host"}},
	{"playit", server{what: "playit.gg tunnel agent", notSub: "|version|account|", kind: action.NetworkTunnel}},
	{"playit-cli", server{what: "playit.gg tunnel agent", notSub: "|version|account|", kind: action.NetworkTunnel}},
	{"cloud-sql-proxy", server{what: "Cloud SQL proxy (forwards a local port to a cloud database)", portOp: "-p --port", kind: action.NetworkTunnel}},
	{"cloud_sql_proxy", server{what: "Cloud SQL proxy (forwards a local port to a cloud database)", kind: action.NetworkTunnel}},
	{"alloydb-auth-proxy", server{what: "AlloyDB proxy (forwards a local port to a cloud database)", portOp: "-p --port", kind: action.NetworkTunnel}},
	{"dnsd", server{what: "busybox dnsd", port: 53, portOp: "-p"}},
}

// servers is serverRows by name.
var servers = table[server]{rows: serverRows[:]}

// servers reports whether prog is a known server (or tunnel) program and
// records its facet when this invocation serves.
func (f *finder) servers(v action.Argv, lower, base string, args []string) bool {
	s, ok := servers.get(lower)
	if !ok {
		s, ok = servers.get(base)
	}
	if !ok {
		return false
	}
	f.serve(lower, s, args)
	return true
}

// serve records the facet of a known server program for these args.
func (f *finder) serve(prog string, s server, args []string) {
	if wantsHelp(args) || (s.not != "" && hasAnyOpt(args, s.not)) {
		return
	}
	if s.flags != "" && !hasAnyOpt(args, s.flags) {
		return
	}
	pos := positionals(args, s.valued+" "+s.portOp+" "+s.hostOp+" "+s.addrOp)
	rest := pos
	bare := s.subs == "" || strings.HasPrefix(s.subs, "|") || strings.HasSuffix(s.subs, "|") || strings.Contains(s.subs, "||")
	matched := false
	if n, ok := matchSub(s.subs, pos); ok {
		rest, matched = pos[n:], true
	} else if len(pos) > 1 && len(args) > 0 && strings.HasPrefix(args[0], "-") {
		// An option with an unknown value came first (hugo -s DIR server).
		if n, ok := matchSub(s.subs, pos[1:]); ok {
			rest, matched = pos[1+n:], true
		}
	}
	switch {
	case matched:
		if len(rest) > 0 && inList("stop status kill list ls", strings.ToLower(rest[0])) {
			return
		}
	case matchOptSub(s.subs, args):
		// A subcommand given as an option (apachectl -k start).
	case !bare:
		return
	case len(pos) > 0 && !s.cmd && len(args) > 0 && args[0] == pos[0]:
		// Only the first word is read as a subcommand: a later positional
		// may be the value of an option this table does not know.
		first := strings.ToLower(pos[0])
		if stopWords[first] || (s.notSub != "" && strings.Contains(s.notSub, "|"+first+"|")) {
			return
		}
		if s.subs != "" && isSubcommandLike(first) {
			// An unlisted subcommand of a program whose serving
			// subcommands are listed (ngrok config, vite optimize).
			return
		}
	}
	host, port, given := "", s.port, false
	if s.addrOp != "" {
		if val, ok := optValue(args, s.addrOp); ok {
			h, p := hostPort(val)
			if p != 0 {
				port, given = p, true
			}
			if h != "" {
				host = h
			}
		}
	}
	if s.portOp != "" {
		if val, ok := optValue(args, s.portOp); ok {
			if p := portFrom(val); p != 0 {
				port, given = p, true
			}
		}
	}
	if s.hostOp != "" {
		if val, ok := optValue(args, s.hostOp); ok && val != "" && !strings.HasPrefix(val, "-") {
			if h, p := hostPort(val); h != "" {
				host = h
				if p != 0 && !given {
					port, given = p, true
				}
			}
		}
	}
	if s.posPort {
		for _, p := range rest {
			if h, n := hostPort(p); n != 0 {
				port, given = n, true
				if h != "" {
					host = h
				}
				break
			}
		}
	}
	kind := s.kind
	if kind == "" {
		kind = action.NetworkListen
	}
	detail := portDetail(s.what, port, given)
	if host != "" {
		detail += " on " + host
	}
	f.add(action.Action{Kind: kind, Program: prog, Host: host, Port: port, Detail: detail})
	if s.cmd {
		for _, p := range rest {
			if isShell(p) {
				f.remote(prog, host, port, s.what+" serves a shell ("+p+") to whoever connects")
			}
			break
		}
	}
}

// isShell reports whether a command word names a shell.
func isShell(w string) bool {
	switch action.ProgramName(w) {
	case "sh", "bash", "zsh", "dash", "ksh", "ash", "fish", "csh", "tcsh", "mksh", "busybox", "pwsh", "powershell", "cmd.exe", "cmd":
		return true
	}
	return false
}

// portFrom reads a port from "8080", ":8080" or "host:8080".
func portFrom(val string) int {
	if p := portNumber(val); p != 0 {
		return p
	}
	_, p := hostPort(val)
	return p
}

// matchSub reports whether the positionals start with one of the
// "|"-separated subcommands (each possibly several words), and how many
// words it used. Alternatives ending in ":never" are ignored: they document
// look-alikes that do not serve.
func matchSub(subs string, pos []string) (int, bool) {
	for subs != "" {
		var alt string
		alt, subs, _ = strings.Cut(subs, "|")
		if alt == "" || strings.HasSuffix(alt, ":never") {
			continue
		}
		n := 0
		ok := eachName(alt, func(w string) bool {
			if n >= len(pos) || !strings.EqualFold(pos[n], w) {
				return true
			}
			n++
			return false
		})
		if !ok && n > 0 {
			return n, true
		}
	}
	return 0, false
}

// matchOptSub handles subcommands given as options (apachectl -k start).
func matchOptSub(subs string, args []string) bool {
	for subs != "" {
		var alt string
		alt, subs, _ = strings.Cut(subs, "|")
		opt, val, ok := strings.Cut(alt, " ")
		if !ok || !strings.HasPrefix(opt, "-") {
			continue
		}
		if v, found := optValue(args, opt); found && v == val {
			return true
		}
	}
	return false
}

// hasAnyOpt reports whether any of the space-separated options is present;
// names ending in ":never" are documentation only.
func hasAnyOpt(args []string, names string) bool {
	found := false
	eachName(names, func(n string) bool {
		if strings.HasSuffix(n, ":never") {
			return false
		}
		if !strings.HasPrefix(n, "-") {
			// A positional keyword (dovecot stop).
			for _, a := range args {
				if a == n {
					found = true
					return true
				}
			}
			return false
		}
		if len(n) > 2 && n[1] != '-' {
			// Single-dash long option (-dedicated, -kill): exact only.
			for _, a := range args {
				if a == n || strings.HasPrefix(a, n+"=") {
					found = true
					return true
				}
			}
			return false
		}
		if hasOpt(args, n) {
			found = true
			return true
		}
		return false
	})
	return found
}

// isSubcommandLike reports whether a word reads as a subcommand name.
func isSubcommandLike(w string) bool {
	if w == "" || len(w) > 30 {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= 'a' && c <= 'z') && c != '-' && c != '_' && c != ':' {
			return false
		}
	}
	return true
}
