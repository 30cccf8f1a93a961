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

// servers maps lower-case program names (script extension dropped) to how
// they serve. Ports are the programs' documented defaults.
var servers = map[string]server{
	// Static file and development web servers.
	"http-server":         {what: "http-server", port: 8080, portOp: "-p --port", hostOp: "-a --address", valued: "-p --port -a --address -c -d -i -e -S -C -K -o -P --proxy --username --password --log-ip -t"},
	"http-server-upload":  {what: "http-server-upload", port: 8080},
	"live-server":         {what: "live-server", port: 8080, portOp: "--port", hostOp: "--host"},
	"lite-server":         {what: "lite-server", port: 3000},
	"light-server":        {what: "light-server", port: 4000, portOp: "-p --port", hostOp: "-b --bind"},
	"five-server":         {what: "five-server", port: 5500, portOp: "--port"},
	"serve":               {what: "serve", port: 3000, portOp: "-p --port", addrOp: "-l --listen", valued: "-p --port -l --listen -c --config --ssl-cert --ssl-key --ssl-pass"},
	"sirv":                {what: "sirv", subs: "start|", port: 8080, portOp: "-p --port", hostOp: "-H --host"},
	"servor":              {what: "servor", port: 8080},
	"ws":                  {what: "local-web-server (ws)", port: 8000, portOp: "-p --port", notSub: "|--config|"},
	"local-web-server":    {what: "local-web-server", port: 8000, portOp: "-p --port"},
	"static-server":       {what: "static-server", port: 9080, portOp: "-p --port"},
	"superstatic":         {what: "superstatic", port: 3474, portOp: "-p --port", hostOp: "--host"},
	"json-server":         {what: "json-server", port: 3000, portOp: "-p --port", hostOp: "-H --host"},
	"browser-sync":        {what: "browser-sync", subs: "start|", port: 3000, portOp: "--port"},
	"webpack-dev-server":  {what: "webpack-dev-server", port: 8080, portOp: "--port", hostOp: "--host"},
	"vite":                {what: "vite dev server", subs: "|dev|serve|preview", port: 5173, portOp: "--port", hostOp: "--host", valued: "-c --config --mode -m --base -l --logLevel --root --port --host --outDir"},
	"next":                {what: "next", subs: "dev|start", port: 3000, portOp: "-p --port", hostOp: "-H --hostname"},
	"nuxt":                {what: "nuxt", subs: "dev|start|preview|", port: 3000, portOp: "-p --port", hostOp: "-H --host"},
	"nuxi":                {what: "nuxi", subs: "dev|preview|start", port: 3000, portOp: "-p --port", hostOp: "-H --host"},
	"astro":               {what: "astro", subs: "dev|preview|start", port: 4321, portOp: "--port", hostOp: "--host"},
	"remix":               {what: "remix", subs: "dev|vite:dev", port: 3000, portOp: "--port"},
	"remix-serve":         {what: "remix-serve", port: 3000},
	"svelte-kit":          {what: "svelte-kit", subs: "dev|preview", port: 5173, portOp: "--port"},
	"sveltekit":           {what: "sveltekit", subs: "dev|preview", port: 5173, portOp: "--port"},
	"webpack":             {what: "webpack serve", subs: "serve|server|s", port: 8080, portOp: "--port", hostOp: "--host"},
	"ng":                  {what: "ng serve", subs: "serve|s", port: 4200, portOp: "--port", hostOp: "--host"},
	"vue-cli-service":     {what: "vue-cli-service serve", subs: "serve", port: 8080, portOp: "--port", hostOp: "--host"},
	"vue":                 {what: "vue ui", subs: "ui|serve", port: 8000, portOp: "-p --port", hostOp: "-H --host"},
	"react-scripts":       {what: "react-scripts start", subs: "start", port: 3000},
	"react-native":        {what: "react-native start (Metro)", subs: "start|run-android|run-ios", port: 8081, portOp: "--port", hostOp: "--host"},
	"expo":                {what: "expo start", subs: "start|web|", port: 8081, portOp: "-p --port"},
	"metro":               {what: "metro", subs: "serve|start", port: 8081, portOp: "--port"},
	"gatsby":              {what: "gatsby", subs: "develop|serve", port: 8000, portOp: "-p --port", hostOp: "-H --host"},
	"parcel":              {what: "parcel dev server", subs: "|serve", port: 1234, portOp: "-p --port", valued: "--dist-dir -d --cache-dir --public-url --target --config -p --port --host"},
	"snowpack":            {what: "snowpack dev", subs: "dev", port: 8080, portOp: "--port"},
	"wmr":                 {what: "wmr", subs: "|start|serve", port: 8080, portOp: "--port"},
	"ember":               {what: "ember serve", subs: "serve|server|s", port: 4200, portOp: "--port -p", hostOp: "--host"},
	"ionic":               {what: "ionic serve", subs: "serve", port: 8100, portOp: "--port -p", hostOp: "--host"},
	"quasar":              {what: "quasar dev", subs: "dev|serve", port: 8080, portOp: "--port -p"},
	"docusaurus":          {what: "docusaurus", subs: "start|serve", port: 3000, portOp: "--port"},
	"vuepress":            {what: "vuepress dev", subs: "dev", port: 8080, portOp: "--port -p"},
	"vitepress":           {what: "vitepress", subs: "dev|preview|serve", port: 5173, portOp: "--port"},
	"storybook":           {what: "storybook dev", subs: "dev", port: 6006, portOp: "-p --port"},
	"start-storybook":     {what: "start-storybook", port: 6006, portOp: "-p --port"},
	"hexo":                {what: "hexo server", subs: "server|s", port: 4000, portOp: "-p --port"},
	"gridsome":            {what: "gridsome", subs: "develop|serve", port: 8080, portOp: "-p --port"},
	"eleventy":            {what: "eleventy --serve", flags: "--serve", port: 8080, portOp: "--port"},
	"esbuild":             {what: "esbuild --serve", flags: "--serve", addrOp: "--serve"},
	"slidev":              {what: "slidev", subs: "|dev", notSub: "|build|export|format|", port: 3030, portOp: "-p --port"},
	"docsify":             {what: "docsify serve", subs: "serve|s|start", port: 3000, portOp: "-p --port"},
	"gitbook":             {what: "gitbook serve", subs: "serve", port: 4000, portOp: "--port"},
	"mkdocs":              {what: "mkdocs serve", subs: "serve|gh-deploy:never", port: 8000, addrOp: "-a --dev-addr"},
	"sphinx-autobuild":    {what: "sphinx-autobuild", port: 8000, portOp: "--port", hostOp: "--host"},
	"hugo":                {what: "hugo server", subs: "server|serve|s", port: 1313, portOp: "-p --port", hostOp: "--bind"},
	"jekyll":              {what: "jekyll serve", subs: "serve|server|s", port: 4000, portOp: "-P --port", hostOp: "-H --host"},
	"zola":                {what: "zola serve", subs: "serve", port: 1111, portOp: "-p --port", hostOp: "-i --interface"},
	"mdbook":              {what: "mdbook serve", subs: "serve", port: 3000, portOp: "-p --port", hostOp: "-n --hostname"},
	"pelican":             {what: "pelican --listen", flags: "-l --listen --autoreload -r", port: 8000, portOp: "-p --port", hostOp: "-b --bind"},
	"middleman":           {what: "middleman server", subs: "server|s|", port: 4567, portOp: "-p --port"},
	"jigsaw":              {what: "jigsaw serve", subs: "serve", port: 8000, portOp: "--port"},
	"resume":              {what: "resume serve", subs: "serve", port: 4000, portOp: "--port -p"},
	"docfx":               {what: "docfx serve", subs: "serve", port: 8080, portOp: "-p --port"},
	"elm":                 {what: "elm reactor", subs: "reactor", port: 8000, portOp: "--port"},
	"elm-live":            {what: "elm-live", port: 8000, portOp: "-p --port"},
	"p5":                  {what: "p5 server", subs: "server|serve", port: 5555, portOp: "-p --port"},
	"grip":                {what: "grip", not: "--export", notSub: "|--export|", port: 6419, posPort: true},
	"wrangler":            {what: "wrangler dev", subs: "dev|pages dev", port: 8787, portOp: "--port", hostOp: "--ip"},
	"netlify":             {what: "netlify dev", subs: "dev|serve", port: 8888, portOp: "-p --port"},
	"vercel":              {what: "vercel dev", subs: "dev", port: 3000, addrOp: "-l --listen"},
	"firebase":            {what: "firebase serve", subs: "serve|emulators:start|emulators:exec", port: 5000, portOp: "-p --port", hostOp: "-o --host"},
	"functions-framework": {what: "functions-framework", port: 8080, portOp: "--port"},
	"func":                {what: "func start (Azure Functions)", subs: "start|host start", port: 7071, portOp: "--port -p"},
	"sam":                 {what: "sam local start-api", subs: "local start-api|local start-lambda", port: 3000, portOp: "-p --port", hostOp: "--host"},
	"serverless":          {what: "serverless offline", subs: "offline", port: 3000, portOp: "--httpPort"},
	"sls":                 {what: "serverless offline", subs: "offline", port: 3000, portOp: "--httpPort"},
	"localstack":          {what: "localstack start", subs: "start", port: 4566},
	"supabase":            {what: "supabase start", subs: "start", port: 54321},
	"azurite":             {what: "azurite", port: 10000, hostOp: "--blobHost"},
	"azurite-blob":        {what: "azurite-blob", port: 10000},
	"meteor":              {what: "meteor", subs: "|run", notSub: "|list|add|remove|create|update|deploy|build|test|mongo|shell|npm|publish|search|show|", port: 3000, portOp: "-p --port"},
	"sails":               {what: "sails lift", subs: "lift|l", port: 1337, portOp: "--port"},
	"strapi":              {what: "strapi", subs: "develop|dev|start", port: 1337},
	"keystone":            {what: "keystone dev", subs: "dev|start", port: 3000},
	"redwood":             {what: "redwood dev", subs: "dev|serve", port: 8910},
	"rw":                  {what: "redwood dev", subs: "dev|serve", port: 8910},
	"blitz":               {what: "blitz dev", subs: "dev|start", port: 3000},
	"nest":                {what: "nest start --watch", subs: "start", flags: "--watch -w --debug", port: 3000},
	"nx":                  {what: "nx serve", subs: "serve|run-many:never", port: 4200},
	"turbo":               {what: "turbo dev", subs: "dev", port: 0},
	"solid-start":         {what: "solid-start dev", subs: "dev|start", port: 3000},
	"cake":                {what: "cake server", subs: "server", port: 8765, portOp: "-p --port", hostOp: "-H --host"},
	"symfony":             {what: "symfony server", subs: "serve|server:start|local:server:start|proxy:start", port: 8000, portOp: "--port"},
	"hledger-web":         {what: "hledger-web", not: "--test", port: 5000, portOp: "--port", hostOp: "--host"},
	"grafana-server":      {what: "grafana-server", port: 3000},
	"grafana":             {what: "grafana server", subs: "server", port: 3000},
	"ttyd":                {what: "ttyd (a terminal served over HTTP)", cmd: true, port: 7681, portOp: "-p --port", hostOp: "-i --interface", valued: "-c --credential -u --uid -g --gid -s --signal -I --index -b --base-path -P --ping-interval -t --client-option -T --terminal-type -O --check-origin -m --max-clients -w --cwd -H --auth-header -d --debug -C --ssl-cert -K --ssl-key -A --ssl-ca"},
	"gotty":               {what: "gotty (a terminal served over HTTP)", cmd: true, port: 8080, portOp: "-p --port", hostOp: "-a --address", valued: "-c --credential -r --random-url-length --title-format --max-connection --timeout --config --tls-crt --tls-key --tls-ca --ws-origin --term --close-signal --close-timeout --width --height --index"},
	"code-server":         {what: "code-server", port: 8080, addrOp: "--bind-addr", portOp: "--port"},
	"openvscode-server":   {what: "openvscode-server", port: 3000, portOp: "--port", hostOp: "--host"},
	"miniserve":           {what: "miniserve", port: 8080, portOp: "-p --port", hostOp: "-i --interfaces"},
	"darkhttpd":           {what: "darkhttpd", port: 8080, portOp: "--port", hostOp: "--addr"},
	"updog":               {what: "updog", port: 9090, portOp: "-p --port"},
	"simplehttpserver":    {what: "simplehttpserver", port: 8000, addrOp: "-listen"},
	"filebrowser":         {what: "filebrowser", notSub: "|config|users|rules|cmds|hash|upgrade|", port: 8080, portOp: "-p --port", hostOp: "-a --address"},
	"webfsd":              {what: "webfsd", port: 8000, portOp: "-p"},
	"thttpd":              {what: "thttpd", port: 80, portOp: "-p"},
	"mini_httpd":          {what: "mini_httpd", port: 80, portOp: "-p"},
	"lighttpd":            {what: "lighttpd", not: "-t -tt -v -V -p", port: 80},
	"httpd":               {what: "httpd", not: "-t -v -V -S -M -L -l -T", port: 80, portOp: "-p"},
	"apache2":             {what: "apache2", not: "-t -v -V -S -M -L -l -T", port: 80},
	"apachectl":           {what: "apachectl", subs: "start|restart|graceful|-k start|-k restart|-k graceful", port: 80},
	"apache2ctl":          {what: "apache2ctl", subs: "start|restart|graceful|-k start|-k restart|-k graceful", port: 80},
	"nginx":               {what: "nginx", not: "-t -T -s -v -V -?", port: 80},
	"openresty":           {what: "openresty", not: "-t -T -s -v -V", port: 80},
	"caddy":               {what: "caddy", subs: "run|start|file-server|reverse-proxy|respond", port: 0, addrOp: "--listen --from -l", portOp: "--http-port"},
	"xcaddy":              {what: "xcaddy run", subs: "run|start", port: 0},
	"traefik":             {what: "traefik", port: 80},
	"haproxy":             {what: "haproxy", not: "-c -v -vv", port: 0},
	"envoy":               {what: "envoy proxy", flags: "-c --config-path --config-yaml", not: "--mode validate", port: 0},
	"squid":               {what: "squid", not: "-k -v -z", port: 3128, portOp: "-a"},
	"tinyproxy":           {what: "tinyproxy", port: 8888},
	"privoxy":             {what: "privoxy", port: 8118},
	"mitmproxy":           {what: "mitmproxy", not: "-n --no-server -nr -r --rfile", port: 8080, portOp: "-p --listen-port", hostOp: "--listen-host"},
	"mitmweb":             {what: "mitmweb", not: "-n --no-server", port: 8080, portOp: "-p --listen-port", hostOp: "--listen-host"},
	"mitmdump":            {what: "mitmdump", not: "-n --no-server -nr -r --rfile", port: 8080, portOp: "-p --listen-port", hostOp: "--listen-host"},
	"proxify":             {what: "proxify", port: 8888, addrOp: "-ha -http-addr"},
	"sslstrip":            {what: "sslstrip", port: 10000, portOp: "-l --listen"},
	"bettercap":           {what: "bettercap", port: 0},
	"responder":           {what: "Responder", port: 0},
	"dnschef":             {what: "dnschef", port: 53, portOp: "-p --port", hostOp: "-i --interface"},
	"h2o":                 {what: "h2o", not: "-t --test", port: 0},
	"unitd":               {what: "NGINX Unit", port: 0},
	"varnishd":            {what: "varnishd", port: 80, addrOp: "-a"},
	"pound":               {what: "pound", port: 0},
	"stunnel":             {what: "stunnel", port: 0, kind: action.NetworkTunnel},
	"stunnel4":            {what: "stunnel", port: 0, kind: action.NetworkTunnel},

	// Language and framework application servers.
	"gunicorn":                 {what: "gunicorn", port: 8000, addrOp: "-b --bind"},
	"uvicorn":                  {what: "uvicorn", port: 8000, portOp: "--port", hostOp: "--host", addrOp: "--uds:never"},
	"hypercorn":                {what: "hypercorn", port: 8000, addrOp: "-b --bind"},
	"daphne":                   {what: "daphne", port: 8000, portOp: "-p --port", hostOp: "-b --bind"},
	"waitress-serve":           {what: "waitress-serve", port: 8080, addrOp: "--listen", portOp: "--port", hostOp: "--host"},
	"granian":                  {what: "granian", port: 8000, portOp: "--port", hostOp: "--host"},
	"uwsgi":                    {what: "uwsgi", flags: "--http --http-socket --socket -s --https --http11-socket --fastcgi-socket --ini --yaml --xml --json", addrOp: "--http --http-socket --socket -s --https"},
	"flask":                    {what: "flask run", subs: "run", port: 5000, portOp: "-p --port", hostOp: "-h --host"},
	"fastapi":                  {what: "fastapi", subs: "run|dev", port: 8000, portOp: "--port", hostOp: "--host"},
	"django-admin":             {what: "django runserver", subs: "runserver|runserver_plus|testserver|runsslserver", port: 8000, posPort: true},
	"manage":                   {what: "django runserver", subs: "runserver|runserver_plus|testserver|runsslserver|run_gunicorn|runfcgi", port: 8000, posPort: true},
	"streamlit":                {what: "streamlit run", subs: "run|hello", port: 8501, portOp: "--server.port", hostOp: "--server.address"},
	"gradio":                   {what: "gradio app", notSub: "|deploy|environment|sketch|cc|", port: 7860},
	"panel":                    {what: "panel serve", subs: "serve", port: 5006, portOp: "--port", hostOp: "--address"},
	"bokeh":                    {what: "bokeh serve", subs: "serve", port: 5006, portOp: "--port", hostOp: "--address"},
	"voila":                    {what: "voila", port: 8866, portOp: "--port"},
	"datasette":                {what: "datasette", notSub: "|install|uninstall|publish|package|inspect|plugins|create-token|", port: 8001, portOp: "-p --port", hostOp: "-h --host"},
	"mlflow":                   {what: "mlflow", subs: "ui|server|models serve|gateway start|deployments start-server", port: 5000, portOp: "-p --port", hostOp: "-h --host"},
	"tensorboard":              {what: "tensorboard", port: 6006, portOp: "--port", hostOp: "--host --bind_all:never"},
	"jupyter":                  {what: "jupyter", subs: "notebook|lab|server|nbclassic|console:never|kernelgateway|kernel|qtconsole:never|", notSub: "|nbconvert|kernelspec|labextension|serverextension|nbextension|troubleshoot|trust|execute|console|qtconsole|migrate|run|--paths|--data-dir|--runtime-dir|--config-dir|", port: 8888, portOp: "--port", hostOp: "--ip"},
	"jupyter-notebook":         {what: "jupyter notebook", port: 8888, portOp: "--port", hostOp: "--ip"},
	"jupyter-lab":              {what: "jupyter lab", port: 8888, portOp: "--port", hostOp: "--ip"},
	"jupyter-server":           {what: "jupyter server", port: 8888, portOp: "--port", hostOp: "--ip"},
	"jupyterhub":               {what: "jupyterhub", port: 8000, portOp: "--port", hostOp: "--ip"},
	"jupyterlab":               {what: "jupyter lab", port: 8888, portOp: "--port", hostOp: "--ip"},
	"notebook":                 {what: "jupyter notebook", port: 8888, portOp: "--port", hostOp: "--ip"},
	"marimo":                   {what: "marimo", subs: "edit|run|tutorial", port: 2718, portOp: "-p --port", hostOp: "--host"},
	"pluto":                    {what: "pluto", port: 1234},
	"locust":                   {what: "locust web UI", not: "--headless --worker", port: 8089, portOp: "--web-port -P", hostOp: "--web-host"},
	"sanic":                    {what: "sanic", port: 8000, portOp: "-p --port", hostOp: "-H --host"},
	"bottle":                   {what: "bottle", port: 8080, addrOp: "-b --bind"},
	"twistd":                   {what: "twistd", subs: "web|ftp|telnet|dns|mail|conch|socks|portforward|xmpp-router|procmon:never|", port: 8080, addrOp: "--port --listen"},
	"twist":                    {what: "twist", subs: "web|ftp|dns|conch|socks|portforward", port: 8080, addrOp: "--port --listen"},
	"pserve":                   {what: "pserve", port: 6543},
	"plackup":                  {what: "plackup", port: 5000, portOp: "-p --port", hostOp: "-o --host", addrOp: "--listen -l"},
	"starman":                  {what: "starman", port: 5000, addrOp: "--listen -l", portOp: "--port"},
	"morbo":                    {what: "morbo", port: 3000, addrOp: "-l --listen"},
	"hypnotoad":                {what: "hypnotoad", not: "-s --stop -t --test", port: 8080},
	"rackup":                   {what: "rackup", port: 9292, portOp: "-p --port", hostOp: "-o --host"},
	"rails":                    {what: "rails server", subs: "server|s", port: 3000, portOp: "-p --port", hostOp: "-b --binding"},
	"puma":                     {what: "puma", port: 9292, portOp: "-p --port", addrOp: "-b --bind"},
	"pumactl":                  {what: "pumactl start", subs: "start|restart", port: 9292},
	"unicorn":                  {what: "unicorn", port: 8080, addrOp: "-l --listen", portOp: "-p --port"},
	"unicorn_rails":            {what: "unicorn_rails", port: 8080, addrOp: "-l --listen"},
	"thin":                     {what: "thin start", subs: "start|restart", port: 3000, portOp: "-p --port", hostOp: "-a --address"},
	"passenger":                {what: "passenger start", subs: "start", port: 3000, portOp: "-p --port", hostOp: "-a --address"},
	"shotgun":                  {what: "shotgun", port: 9393, portOp: "-p --port"},
	"iodine":                   {what: "iodine", port: 53, kind: action.NetworkTunnel},
	"iodined":                  {what: "iodined (DNS tunnel server)", port: 53, kind: action.NetworkTunnel},
	"artisan":                  {what: "php artisan serve", subs: "serve|octane:start|reverb:start|websockets:serve|horizon:never", port: 8000, portOp: "--port", hostOp: "--host"},
	"yii":                      {what: "yii serve", subs: "serve", port: 8080, portOp: "-p --port", posPort: true},
	"console":                  {what: "symfony console server:run", subs: "server:run|server:start", port: 8000, posPort: true},
	"phoenix":                  {what: "phoenix server", subs: "server", port: 4000},
	"mix":                      {what: "mix phx.server", subs: "phx.server|run --no-halt:never", port: 4000},
	"iex":                      {what: "iex -S mix phx.server", flags: "-S", subs: "phx.server", port: 4000},
	"dotnet-serve":             {what: "dotnet-serve", port: 8080, portOp: "-p --port"},
	"buffalo":                  {what: "buffalo dev", subs: "dev", port: 3000},
	"revel":                    {what: "revel run", subs: "run", port: 9000},
	"bee":                      {what: "bee run", subs: "run", port: 8080},
	"air":                      {what: "air (live-reload dev server)", notSub: "|init|", port: 0},
	"lein":                     {what: "lein repl / ring server (nREPL or web server)", subs: "repl :headless|ring server|ring server-headless|run server|figwheel", port: 0},
	"acme.sh":                  {what: "acme.sh standalone challenge server", flags: "--standalone --alpn", port: 80, portOp: "--httpport --tlsport"},
	"adguardhome":              {what: "AdGuard Home", flags: "--service -s --web-addr --port -p --host", not: "--check-config", port: 3000, portOp: "--port -p", hostOp: "--host"},
	"boot":                     {what: "boot serve", subs: "serve|repl", port: 3000},
	"shadow-cljs":              {what: "shadow-cljs", subs: "watch|server|cljs-repl|node-repl:never", port: 9630},
	"figwheel":                 {what: "figwheel", port: 3449},
	"yesod":                    {what: "yesod devel", subs: "devel", port: 3000},
	"hoogle":                   {what: "hoogle server", subs: "server", port: 8080, portOp: "-p --port"},
	"koboldcpp":                {what: "koboldcpp", not: "--cli", port: 5001, portOp: "--port", hostOp: "--host"},
	"llama-server":             {what: "llama.cpp server", port: 8080, portOp: "--port", hostOp: "--host"},
	"ollama":                   {what: "ollama serve", subs: "serve|start", port: 11434},
	"vllm":                     {what: "vllm serve", subs: "serve", port: 8000, portOp: "--port", hostOp: "--host"},
	"text-generation-launcher": {what: "text-generation-launcher", port: 3000, portOp: "-p --port"},
	"lmstudio":                 {what: "lms server start", subs: "server start", port: 1234},
	"lms":                      {what: "lms server start", subs: "server start", port: 1234},
	"localai":                  {what: "local-ai", subs: "run|", port: 8080},
	"local-ai":                 {what: "local-ai", subs: "run|", port: 8080},
	"open-webui":               {what: "open-webui serve", subs: "serve", port: 8080},
	"inference-snap":           {what: "inference snap", subs: "chat|serve|run", port: 0},
	"opencode":                 {what: "opencode web/serve", subs: "web|serve", port: 4096, portOp: "--port", hostOp: "--hostname"},
	"openclaw":                 {what: "openclaw gateway", subs: "gateway|dashboard", port: 18789, portOp: "--port"},
	"zeroclaw":                 {what: "zeroclaw", subs: "daemon|gateway", port: 0, portOp: "-p --port", hostOp: "--host"},
	"spotdl":                   {what: "spotdl web", subs: "web", port: 8800, portOp: "--port", hostOp: "--host"},
	"maigret":                  {what: "maigret --web", flags: "--web", addrOp: "--web"},
	"pio":                      {what: "pio home", subs: "home|remote agent start", port: 8008, portOp: "--port", hostOp: "--host"},
	"platformio":               {what: "pio home", subs: "home", port: 8008, portOp: "--port", hostOp: "--host"},
	"pygbag":                   {what: "pygbag (serves the game)", not: "--build --archive", port: 8000, portOp: "--port"},
	"gitea":                    {what: "gitea web", subs: "web|", notSub: "|admin|migrate|dump|doctor|cert|generate|keys|hook|manager|embedded|restore-repo|docs|convert|serv|", port: 3000, portOp: "-p --port"},
	"forgejo":                  {what: "forgejo web", subs: "web|", notSub: "|admin|migrate|dump|doctor|cert|generate|keys|hook|manager|embedded|restore-repo|docs|", port: 3000, portOp: "-p --port"},
	"gogs":                     {what: "gogs web", subs: "web", port: 3000, portOp: "-p --port"},
	"ghost":                    {what: "ghost", subs: "start|restart|run|develop", port: 2368},
	"lando":                    {what: "lando (starts the app's services)", subs: "start|restart|rebuild", port: 0},
	"ddev":                     {what: "ddev (starts the project's web server)", subs: "start|restart", port: 0},
	"tye":                      {what: "tye run", subs: "run", port: 8000, portOp: "--port"},
	"papermc":                  {what: "papermc", subs: "start|restart|run", port: 25565},
	"minecraft-server":         {what: "minecraft server", port: 25565},
	"luanti":                   {what: "luanti --server", flags: "--server", port: 30000, portOp: "--port"},
	"minetest":                 {what: "minetest --server", flags: "--server", port: 30000, portOp: "--port"},
	"minetestserver":           {what: "minetestserver", port: 30000, portOp: "--port"},
	"luantiserver":             {what: "luantiserver", port: 30000, portOp: "--port"},
	"factorio":                 {what: "factorio --start-server", flags: "--start-server --start-server-load-latest --start-server-load-scenario", port: 34197, portOp: "--port"},
	"openttd":                  {what: "openttd dedicated server", flags: "-D", addrOp: "-D", port: 3979},
	"cs2":                      {what: "cs2 dedicated server", flags: "-dedicated", port: 27015, portOp: "-port"},
	"srcds_run":                {what: "srcds dedicated server", port: 27015, portOp: "-port"},
	"srcds_linux":              {what: "srcds dedicated server", port: 27015, portOp: "-port"},
	"hlds_run":                 {what: "hlds dedicated server", port: 27015, portOp: "-port"},
	"terraria-server":          {what: "terraria server", port: 7777, portOp: "-port"},
	"terrariaserver":           {what: "terraria server", port: 7777, portOp: "-port"},
	"tshock":                   {what: "tshock", port: 7777},
	"valheim_server.x86_64":    {what: "valheim server", port: 2456, portOp: "-port"},
	"openarena-server":         {what: "openarena server", port: 27960},
	"ioq3ded":                  {what: "quake3 dedicated server", port: 27960},
	"zandronum-server":         {what: "zandronum server", port: 10666, portOp: "-port"},
	"teeworlds_srv":            {what: "teeworlds server", port: 8303},
	"peerflix":                 {what: "peerflix (streams over HTTP)", not: "-l --list", port: 8888, portOp: "-p --port"},
	"qrcp":                     {what: "qrcp (serves the transfer)", subs: "send|receive|", notSub: "|config|version|completion|", port: 0, portOp: "-p --port", hostOp: "-i --interface"},
	"airshare":                 {what: "airshare (serves the transfer)", flags: "--upload -u --file-path:never", port: 8000, portOp: "-p --port"},
	"magic-wormhole":           {what: "magic-wormhole", port: 0, kind: action.NetworkConnect},
	"croc":                     {what: "croc relay", subs: "relay", port: 9009},
	"calibre-server":           {what: "calibre-server", port: 8080, portOp: "--port", hostOp: "--listen-on"},
	"kavita":                   {what: "kavita", port: 5000},
	"jellyfin":                 {what: "jellyfin", port: 8096},
	"navidrome":                {what: "navidrome", port: 4533},
	"gonic":                    {what: "gonic", port: 4747},
	"mpd":                      {what: "mpd", not: "--kill --version -V", port: 6600},
	"mopidy":                   {what: "mopidy", port: 6680},
	"icecast":                  {what: "icecast", port: 8000},
	"icecast2":                 {what: "icecast", port: 8000},
	"mediamtx":                 {what: "mediamtx", port: 8554},
	"rtsp-simple-server":       {what: "rtsp-simple-server", port: 8554},
	"minidlna":                 {what: "minidlna", not: "-V -h", port: 8200},
	"minidlnad":                {what: "minidlna", not: "-V -h", port: 8200},
	"gerbera":                  {what: "gerbera", port: 49152},
	"plexmediaserver":          {what: "plex media server", port: 32400},
	"transmission-daemon":      {what: "transmission-daemon", not: "-d --dump-settings", port: 9091, portOp: "-p --port", hostOp: "-i --bind-address-ipv4"},
	"deluged":                  {what: "deluged", port: 58846, portOp: "-p --port", hostOp: "-i --interface"},
	"deluge-web":               {what: "deluge-web", port: 8112, portOp: "-p --port"},
	"qbittorrent-nox":          {what: "qbittorrent-nox", port: 8080, portOp: "--webui-port"},
	"aria2c":                   {what: "aria2c --enable-rpc", flags: "--enable-rpc", port: 6800, portOp: "--rpc-listen-port"},
	"syncthing":                {what: "syncthing", subs: "|serve", notSub: "|cli|generate|decrypt|device-id|paths|upgrade|", not: "--generate --device-id --paths --upgrade --browser-only", port: 8384, addrOp: "--gui-address", valued: "--home --config --data --gui-apikey --logfile --log-max-old-files --log-max-size --logflags --audit-file"},
	"resilio-sync":             {what: "resilio sync", port: 8888},
	"rslsync":                  {what: "resilio sync", port: 8888},
	"nextcloud":                {what: "nextcloud", port: 0},
	"seafile":                  {what: "seafile", subs: "start", port: 8082},
	"glances":                  {what: "glances web/server mode", flags: "-w --webserver -s --server", port: 61208, portOp: "-p --port", hostOp: "-B --bind"},
	"netdata":                  {what: "netdata", port: 19999},
	"cockpit-ws":               {what: "cockpit-ws", port: 9090, portOp: "--port", hostOp: "--address"},
	"webmin":                   {what: "webmin", port: 10000},
	"monit":                    {what: "monit", not: "-t status summary:never", port: 2812},
	"prometheus":               {what: "prometheus", port: 9090, addrOp: "--web.listen-address"},
	"node_exporter":            {what: "node_exporter", port: 9100, addrOp: "--web.listen-address"},
	"pushgateway":              {what: "pushgateway", port: 9091, addrOp: "--web.listen-address"},
	"alertmanager":             {what: "alertmanager", port: 9093, addrOp: "--web.listen-address"},
	"blackbox_exporter":        {what: "blackbox_exporter", port: 9115, addrOp: "--web.listen-address"},
	"loki":                     {what: "loki", port: 3100},
	"promtail":                 {what: "promtail", port: 9080},
	"jaeger-all-in-one":        {what: "jaeger", port: 16686},
	"otelcol":                  {what: "opentelemetry collector", port: 4317},
	"otelcol-contrib":          {what: "opentelemetry collector", port: 4317},
	"influxd":                  {what: "influxd", notSub: "|inspect|upgrade|downgrade|recovery|version|print-config|", port: 8086},
	"telegraf":                 {what: "telegraf", not: "--test --once --sample-config", port: 0},
	"zabbix_server":            {what: "zabbix_server", not: "-T --test-config -R --runtime-control -t", port: 10051},
	"zabbix_proxy":             {what: "zabbix_proxy", not: "-T --test-config -R --runtime-control", port: 10051},
	"zabbix_agentd":            {what: "zabbix_agentd", not: "-t --test -p --print -R --runtime-control -T --test-config", port: 10050},
	"zabbix_agent2":            {what: "zabbix_agent2", not: "-t --test -p --print -R --runtime-control -T --test-config", port: 10050},
	"snmpd":                    {what: "snmpd", port: 161},
	"icinga2":                  {what: "icinga2 daemon", subs: "daemon", not: "-C --validate", port: 5665},
	"munin-node":               {what: "munin-node", port: 4949},
	"netserver":                {what: "netserver (netperf)", port: 12865, portOp: "-p", hostOp: "-L"},
	"iperf":                    {what: "iperf server", flags: "-s --server", port: 5001, portOp: "-p --port", hostOp: "-B --bind"},
	"iperf3":                   {what: "iperf3 server", flags: "-s --server", port: 5201, portOp: "-p --port", hostOp: "-B --bind"},
	"st-util":                  {what: "st-util (GDB server)", port: 4242, portOp: "-p --listen_port"},
	"gdbserver":                {what: "gdbserver", posPort: true, port: 0},
	"openocd":                  {what: "openocd", flags: "-c:never", port: 3333},
	"dlv":                      {what: "dlv --headless", flags: "--headless --listen -l", addrOp: "--listen -l", port: 0},
	"jhat":                     {what: "jhat (HTTP heap browser)", port: 7000, portOp: "-port"},
	"jstatd":                   {what: "jstatd", port: 1099, portOp: "-p"},
	"rmiregistry":              {what: "rmiregistry", port: 1099, posPort: true},
	"jwebserver":               {what: "jwebserver", port: 8000, portOp: "-p --port", hostOp: "-b --bind-address"},
	"jhsdb":                    {what: "jhsdb debugd", subs: "debugd", port: 1099},
	"tnameserv":                {what: "tnameserv", port: 900, portOp: "-ORBInitialPort"},
	"orbd":                     {what: "orbd", port: 1049, portOp: "-ORBInitialPort"},
	"ganache":                  {what: "ganache", notSub: "|instances|", port: 8545, portOp: "-p --port --server.port", hostOp: "-h --host --server.host"},
	"ganache-cli":              {what: "ganache-cli", port: 8545, portOp: "-p --port", hostOp: "-h --host"},
	"hardhat":                  {what: "hardhat node", subs: "node", port: 8545, portOp: "--port", hostOp: "--hostname"},
	"anvil":                    {what: "anvil", port: 8545, portOp: "-p --port", hostOp: "--host"},
	"geth":                     {what: "geth", notSub: "|account|attach|console:never|init|import|export|dump|dumpconfig|db|js|license|makecache|makedag|removedb|snapshot|wallet|version|version-check|", port: 30303, portOp: "--port"},
	"bitcoind":                 {what: "bitcoind", port: 8333, portOp: "-port -rpcport:never"},
	"litecoind":                {what: "litecoind", port: 9333},
	"monerod":                  {what: "monerod", notSub: "|exit|status|", port: 18080},
	"ipfs":                     {what: "ipfs daemon", subs: "daemon", port: 4001},
	"kubo":                     {what: "ipfs daemon", subs: "daemon", port: 4001},
	"tor":                      {what: "tor", not: "--verify-config --hash-password --list-fingerprint --keygen --list-torrc-options --list-deprecated-options --list-modules --dump-config", port: 9050},
	"i2pd":                     {what: "i2pd", port: 4444},
	"babeld":                   {what: "babeld", port: 6696},
	"bird":                     {what: "bird", not: "-p --parse", port: 179},
	"bird6":                    {what: "bird", not: "-p --parse", port: 179},
	"bgpd":                     {what: "bgpd", port: 179},
	"zebra":                    {what: "zebra", port: 2601},
	"ospfd":                    {what: "ospfd", port: 2604},
	"gobgpd":                   {what: "gobgpd", port: 179},
	"named":                    {what: "named (DNS server)", not: "-V -v", port: 53, portOp: "-p"},
	"unbound":                  {what: "unbound (DNS server)", not: "-V -h", port: 53},
	"dnsmasq":                  {what: "dnsmasq (DNS/DHCP server)", not: "--test -v --version --help", port: 53, portOp: "-p --port", hostOp: "-a --listen-address"},
	"coredns":                  {what: "coredns", not: "-plugins -version", port: 53, portOp: "-dns.port"},
	"pdns_server":              {what: "powerdns", port: 53},
	"pdns_recursor":            {what: "powerdns recursor", port: 53},
	"dhcpd":                    {what: "dhcpd", not: "-t -T", port: 67},
	"kea-dhcp4":                {what: "kea-dhcp4", not: "-t -T -v -V", port: 67},
	"udhcpd":                   {what: "udhcpd", port: 67},
	"in.tftpd":                 {what: "tftpd", port: 69},
	"tftpd":                    {what: "tftpd", port: 69},
	"atftpd":                   {what: "atftpd", port: 69},
	"pixiecore":                {what: "pixiecore (PXE boot server)", port: 80, portOp: "--port", hostOp: "--listen-addr"},
	"create_ap":                {what: "create_ap (wireless access point)", not: "--stop --list-running --list-clients", port: 0},
	"hostapd":                  {what: "hostapd (wireless access point)", flags: "-B:never", port: 0},
	"sshd":                     {what: "sshd", not: "-t -T -V", port: 22, portOp: "-p", addrOp: "-o ListenAddress:never"},
	"dropbear":                 {what: "dropbear (SSH server)", port: 22, addrOp: "-p"},
	"telnetd":                  {what: "telnetd", port: 23},
	"in.telnetd":               {what: "telnetd", port: 23},
	"vsftpd":                   {what: "vsftpd", not: "-v", port: 21},
	"proftpd":                  {what: "proftpd", not: "-t -V -v -l", port: 21},
	"pure-ftpd":                {what: "pure-ftpd", port: 21},
	"pyftpdlib":                {what: "pyftpdlib FTP server", port: 2121, portOp: "-p --port", hostOp: "-i --interface"},
	"smbd":                     {what: "smbd (SMB server)", not: "-V -b", port: 445, portOp: "-p --port"},
	"nmbd":                     {what: "nmbd", not: "-V", port: 137},
	"samba":                    {what: "samba", not: "-V -b", port: 445},
	"smbserver":                {what: "impacket smbserver", port: 445, portOp: "-port"},
	"impacket-smbserver":       {what: "impacket smbserver", port: 445, portOp: "-port"},
	"ntlmrelayx":               {what: "impacket ntlmrelayx", port: 445},
	"impacket-ntlmrelayx":      {what: "impacket ntlmrelayx", port: 445},
	"wsgidav":                  {what: "wsgidav (WebDAV server)", port: 8080, portOp: "-p --port", hostOp: "-H --host"},
	"rclone":                   {what: "rclone serve", subs: "serve|rcd|mount:never", port: 8080, addrOp: "--addr --rc-addr"},
	"restic":                   {what: "restic serve", subs: "serve", port: 0},
	"rest-server":              {what: "rest-server", port: 8000, addrOp: "--listen"},
	"minio":                    {what: "minio server", subs: "server|gateway", port: 9000, addrOp: "--address", hostOp: "", portOp: ""},
	"garage":                   {what: "garage server", subs: "server", port: 3900},
	"seaweedfs":                {what: "seaweedfs", subs: "server|master|volume|filer|s3", port: 9333},
	"weed":                     {what: "seaweedfs", subs: "server|master|volume|filer|s3|webdav", port: 9333},
	"slapd":                    {what: "slapd (LDAP server)", not: "-T -V -VV", port: 389, addrOp: "-h"},
	"krb5kdc":                  {what: "krb5kdc", port: 88},
	"cupsd":                    {what: "cupsd", not: "-t -T", port: 631},
	"ippeveprinter":            {what: "ippeveprinter (IPP printer server)", port: 8000, portOp: "-p"},
	"ippserver":                {what: "ippserver", port: 8000, portOp: "-p"},
	"avahi-daemon":             {what: "avahi-daemon", not: "-k --kill -r --reload -c --check -V", port: 5353},
	"dbus-daemon":              {what: "dbus-daemon on a TCP address", flags: "--address", port: 0, addrOp: "--address:never"},
	"distccd":                  {what: "distccd", flags: "--daemon", port: 3632, portOp: "-p --port", hostOp: "--listen -a:never"},
	"icecc-scheduler":          {what: "icecream scheduler", port: 8765},
	"slurmctld":                {what: "slurmctld", not: "-V -h", port: 6817},
	"slurmd":                   {what: "slurmd", not: "-V -h -C", port: 6818},
	"slurmdbd":                 {what: "slurmdbd", not: "-V -h", port: 6819},
	"slurmrestd":               {what: "slurmrestd", not: "-V -h -d:never", posPort: true, port: 6820},
	"guacd":                    {what: "guacd", port: 4822, portOp: "-l", hostOp: "-b"},
	"xrdp":                     {what: "xrdp", not: "-k --kill -v", port: 3389, portOp: "-p --port"},
	"krdpserver":               {what: "krdpserver (RDP server)", port: 3389, portOp: "--port"},
	"krfb":                     {what: "krfb (VNC server)", port: 5900},
	"krfb-virtualmonitor":      {what: "krfb virtual monitor (VNC server)", port: 5900, portOp: "--port"},
	"vncserver":                {what: "vncserver", not: "-kill --kill -list -version -help", port: 5901},
	"tigervncserver":           {what: "vncserver", not: "-kill --kill -list -version", port: 5901},
	"tightvncserver":           {what: "vncserver", not: "-kill --kill", port: 5901},
	"x11vnc":                   {what: "x11vnc", not: "-version -help -storepasswd", port: 5900, portOp: "-rfbport", hostOp: "-listen"},
	"xnest":                    {what: "Xnest (an X server)", port: 6001},
	"xvnc":                     {what: "Xvnc", port: 5900, portOp: "-rfbport"},
	"x0vncserver":              {what: "x0vncserver", port: 5900, portOp: "-rfbport"},
	"wayvnc":                   {what: "wayvnc", port: 5900, posPort: true},
	"novnc_proxy":              {what: "noVNC proxy", port: 6080, portOp: "--listen"},
	"websockify":               {what: "websockify", posPort: true, port: 0, kind: action.NetworkTunnel},
	"xpra":                     {what: "xpra start", subs: "start|start-desktop|shadow|proxy", port: 0, addrOp: "--bind-tcp --bind-ssl --bind-ws"},
	"redis-server":             {what: "redis-server", not: "--test-memory -v --version", port: 6379, portOp: "--port", hostOp: "--bind", posPort: false},
	"redis-sentinel":           {what: "redis-sentinel", port: 26379, portOp: "--port"},
	"keydb-server":             {what: "keydb-server", port: 6379, portOp: "--port"},
	"valkey-server":            {what: "valkey-server", port: 6379, portOp: "--port"},
	"memcached":                {what: "memcached", not: "-V -h", port: 11211, portOp: "-p --port", hostOp: "-l --listen"},
	"mongod":                   {what: "mongod", not: "--version --sysinfo", port: 27017, portOp: "--port", hostOp: "--bind_ip"},
	"mongos":                   {what: "mongos", not: "--version", port: 27017, portOp: "--port", hostOp: "--bind_ip"},
	"mysqld":                   {what: "mysqld", not: "--version -V --initialize --initialize-insecure --validate-config --print-defaults", port: 3306, portOp: "-P --port", hostOp: "--bind-address"},
	"mysqld_safe":              {what: "mysqld_safe", port: 3306, portOp: "--port"},
	"mariadbd":                 {what: "mariadbd", not: "--version -V", port: 3306, portOp: "-P --port", hostOp: "--bind-address"},
	"mariadbd-safe":            {what: "mariadbd-safe", port: 3306, portOp: "--port"},
	"postgres":                 {what: "postgres", not: "-V --version -C --describe-config --single --boot --check", port: 5432, portOp: "-p", hostOp: "-h"},
	"postmaster":               {what: "postmaster", not: "-V --version -C --describe-config --single", port: 5432, portOp: "-p", hostOp: "-h"},
	"pg_ctl":                   {what: "pg_ctl start", subs: "start|restart", port: 5432, valued: "-D --pgdata -l --log -o --options -m --mode -t --timeout -s:never"},
	"pg_ctlcluster":            {what: "pg_ctlcluster start", subs: "start:never", port: 5432},
	"couchdb":                  {what: "couchdb", not: "-s -k -d", port: 5984},
	"cassandra":                {what: "cassandra", not: "-v", port: 9042},
	"neo4j":                    {what: "neo4j", subs: "console|start|restart", port: 7474},
	"arangod":                  {what: "arangod", port: 8529},
	"clickhouse-server":        {what: "clickhouse-server", port: 8123},
	"clickhouse":               {what: "clickhouse server", subs: "server", port: 8123},
	"etcd":                     {what: "etcd", port: 2379, addrOp: "--listen-client-urls"},
	"consul":                   {what: "consul agent", subs: "agent", port: 8500},
	"vault":                    {what: "vault server", subs: "server|proxy|agent", port: 8200},
	"nomad":                    {what: "nomad agent", subs: "agent", port: 4646},
	"zookeeper-server-start":   {what: "zookeeper", port: 2181},
	"zkserver":                 {what: "zookeeper", subs: "start|start-foreground|restart", port: 2181},
	"kafka-server-start":       {what: "kafka", port: 9092},
	"rabbitmq-server":          {what: "rabbitmq-server", port: 5672},
	"nats-server":              {what: "nats-server", port: 4222, portOp: "-p --port", hostOp: "-a --addr"},
	"mosquitto":                {what: "mosquitto (MQTT broker)", port: 1883, portOp: "-p --port"},
	"beanstalkd":               {what: "beanstalkd", not: "-v -h", port: 11300, portOp: "-p", hostOp: "-l"},
	"elasticsearch":            {what: "elasticsearch", port: 9200},
	"opensearch":               {what: "opensearch", port: 9200},
	"kibana":                   {what: "kibana", port: 5601},
	"meilisearch":              {what: "meilisearch", port: 7700, addrOp: "--http-addr"},
	"typesense-server":         {what: "typesense-server", port: 8108},
	"solr":                     {what: "solr start", subs: "start|restart", port: 8983, portOp: "-p"},
	"dockerd":                  {what: "dockerd on a TCP address", flags: "-H --host", addrOp: "-H --host", port: 2375},
	"registry":                 {what: "docker registry", subs: "serve", port: 5000},
	"crane":                    {what: "crane registry serve", subs: "registry serve", port: 0, addrOp: "--address"},
	"k3s":                      {what: "k3s server", subs: "server|agent", port: 6443},
	"kube-apiserver":           {what: "kube-apiserver", port: 6443},
	"jenkins":                  {what: "jenkins", port: 8080, portOp: "--httpPort"},
	"jenkins-lts":              {what: "jenkins", port: 8080},
	"nexus":                    {what: "nexus", subs: "run|start", port: 8081},
	"sonar":                    {what: "sonarqube", subs: "start|console", port: 9000},
	"catalina":                 {what: "tomcat", subs: "run|start", port: 8080},
	"asadmin":                  {what: "glassfish start-domain", subs: "start-domain", port: 8080},
	"mvn":                      {what: "maven run goal (serves)", subs: "jetty:run|spring-boot:run|tomcat7:run|quarkus:dev|liberty:dev|liberty:run|wildfly:run|appengine:run|jetty:run-war|tomcat:run|exec:java:never", port: 8080},
	"mvnw":                     {what: "maven run goal (serves)", subs: "jetty:run|spring-boot:run|tomcat7:run|quarkus:dev|liberty:dev|liberty:run|wildfly:run|appengine:run|tomcat:run", port: 8080},
	"gradle":                   {what: "gradle run task (serves)", subs: "bootrun|apprun|jettyrun|tomcatrun|quarkusdev|appenginerun", port: 8080},
	"gradlew":                  {what: "gradle run task (serves)", subs: "bootrun|apprun|jettyrun|tomcatrun|quarkusdev|appenginerun", port: 8080},
	"quarkus":                  {what: "quarkus dev", subs: "dev", port: 8080},
	"sbt":                      {what: "sbt run (Play)", subs: "run|~run", port: 9000},
	"play":                     {what: "play run", subs: "run", port: 9000},
	"mn":                       {what: "micronaut run", subs: "run", port: 8080},
	"grails":                   {what: "grails run-app", subs: "run-app", port: 8080},
	"dotnet":                   {what: "dotnet app listening on --urls", flags: "--urls", addrOp: "--urls"},
	"dev_appserver":            {what: "dev_appserver", port: 8080, portOp: "--port", hostOp: "--host"},
	"smtp-sink":                {what: "smtp-sink", posPort: true, port: 25},
	"mailhog":                  {what: "mailhog", port: 8025},
	"mailpit":                  {what: "mailpit", port: 8025},
	"maildev":                  {what: "maildev", port: 1080},
	"smtp4dev":                 {what: "smtp4dev", port: 5000},
	"fakesmtp":                 {what: "fakesmtp", port: 25},
	"aiosmtpd":                 {what: "aiosmtpd", port: 8025, addrOp: "-l --listen"},
	"exim":                     {what: "exim daemon", flags: "-bd", port: 25},
	"sendmail":                 {what: "sendmail daemon", flags: "-bd", port: 25},
	"dovecot":                  {what: "dovecot", not: "-n -a --version stop reload", port: 143},
	"ejabberd":                 {what: "ejabberd", port: 5222},
	"ejabberdctl":              {what: "ejabberdctl start", subs: "start|restart|foreground|live", port: 5222},
	"prosody":                  {what: "prosody", port: 5222},
	"prosodyctl":               {what: "prosodyctl start", subs: "start|restart", port: 5222},
	"synapse":                  {what: "synapse homeserver", port: 8008},
	"murmurd":                  {what: "mumble server", port: 64738},
	"mumble-server":            {what: "mumble server", port: 64738},
	"ts3server":                {what: "teamspeak server", port: 9987},
	"asterisk":                 {what: "asterisk", not: "-r -R -rx -V", port: 5060},
	"freeswitch":               {what: "freeswitch", port: 5060},
	"kamailio":                 {what: "kamailio", not: "-c -v -V", port: 5060},
	"sslh":                     {what: "sslh", port: 443, addrOp: "-p --listen"},
	"xinetd":                   {what: "xinetd", port: 0},
	"inetd":                    {what: "inetd", port: 0},
	"rpcbind":                  {what: "rpcbind", port: 111},
	"nfsd":                     {what: "nfsd", port: 2049},
	"rpc.nfsd":                 {what: "nfsd", port: 2049},
	"tgtd":                     {what: "iscsi target", port: 3260},
	"rsyncd":                   {what: "rsync daemon", port: 873},
	"git-daemon":               {what: "git daemon", port: 9418, portOp: "--port"},
	"hg":                       {what: "hg serve", subs: "serve", port: 8000, portOp: "-p --port", hostOp: "-a --address"},
	"fossil":                   {what: "fossil server", subs: "server|ui|serve", port: 8080, portOp: "-P --port"},
	"gitweb":                   {what: "gitweb", port: 0},
	"verdaccio":                {what: "verdaccio", port: 4873, addrOp: "-l --listen"},
	"devpi-server":             {what: "devpi-server", not: "--init --gen-config --export --import", port: 3141, portOp: "--port", hostOp: "--host"},
	"pypiserver":               {what: "pypiserver", subs: "run|", notSub: "|update|", port: 8080, portOp: "-p --port"},
	"pypi-server":              {what: "pypiserver", subs: "run|", notSub: "|update|", port: 8080, portOp: "-p --port"},
	"sinopia":                  {what: "sinopia", port: 4873},
	"gollum":                   {what: "gollum", port: 4567, portOp: "-p --port", hostOp: "-h --host:never --bind"},
	"hledger":                  {what: "hledger web", subs: "web", port: 5000, portOp: "--port"},
	"beancount-web":            {what: "fava", port: 5000},
	"fava":                     {what: "fava", port: 5000, portOp: "-p --port", hostOp: "-H --host"},
	"kiwix-serve":              {what: "kiwix-serve", port: 80, portOp: "-p --port", hostOp: "-i --address"},
	"calibre":                  {what: "calibre content server", flags: "--start-in-tray:never", port: 0},
	"ubooquity":                {what: "ubooquity", port: 2202},
	"var-dump-server":          {what: "var-dump-server", port: 9912, hostOp: "--host"},
	"confettysh":               {what: "confettysh (SSH app server)", port: 2222, portOp: "-p --port"},
	"soft":                     {what: "soft serve", subs: "serve", port: 23231},
	"tmate":                    {what: "tmate (shares the terminal)", notSub: "|kill-server|-V|", port: 0, kind: action.NetworkTunnel},
	"upterm":                   {what: "upterm host (shares the terminal)", subs: "host", port: 0, kind: action.NetworkTunnel},
	"sshx":                     {what: "sshx (shares the terminal)", port: 0, kind: action.NetworkTunnel},
	"teleconsole":              {what: "teleconsole (shares the terminal)", port: 0, kind: action.NetworkTunnel},
	"ttyshare":                 {what: "tty-share", port: 8000},
	"tty-share":                {what: "tty-share", not: "--version", port: 8000},
	"wetty":                    {what: "wetty", port: 3000, portOp: "-p --port"},
	"shellinaboxd":             {what: "shellinaboxd", port: 4200, portOp: "-p --port"},
	"sish":                     {what: "sish", port: 2222, kind: action.NetworkTunnel},
	"sslocal":                  {what: "shadowsocks local", port: 1080, kind: action.NetworkTunnel},
	"ssserver":                 {what: "shadowsocks server", port: 8388, kind: action.NetworkTunnel},
	"ss-local":                 {what: "shadowsocks local (SOCKS proxy to a remote server)", port: 1080, portOp: "-l", kind: action.NetworkTunnel},
	"ss-server":                {what: "shadowsocks server", port: 8388, portOp: "-p", kind: action.NetworkTunnel},
	"ss-redir":                 {what: "shadowsocks redir", port: 0, kind: action.NetworkTunnel},
	"ss-tunnel":                {what: "shadowsocks tunnel", port: 0, kind: action.NetworkTunnel},
	"v2ray":                    {what: "v2ray proxy", subs: "run|", notSub: "|version|uuid|tls|verify|api|convert|test|", port: 0, kind: action.NetworkTunnel},
	"xray":                     {what: "xray proxy", subs: "run|", notSub: "|version|uuid|tls|x25519|api|convert|test|", port: 0, kind: action.NetworkTunnel},
	"trojan":                   {what: "trojan proxy", port: 443, kind: action.NetworkTunnel},
	"trojan-go":                {what: "trojan proxy", port: 443, kind: action.NetworkTunnel},
	"hysteria":                 {what: "hysteria proxy", subs: "server|client|", notSub: "|version|", port: 0, kind: action.NetworkTunnel},
	"sing-box":                 {what: "sing-box proxy", subs: "run", port: 0, kind: action.NetworkTunnel},
	"clash":                    {what: "clash proxy", not: "-t -v", port: 7890, kind: action.NetworkTunnel},
	"mihomo":                   {what: "clash proxy", not: "-t -v", port: 7890, kind: action.NetworkTunnel},
	"gost":                     {what: "gost relay", port: 0, kind: action.NetworkTunnel},
	"rinetd":                   {what: "rinetd port redirector", port: 0, kind: action.NetworkTunnel},
	"redir":                    {what: "redir port redirector", port: 0, portOp: "--lport -l", kind: action.NetworkTunnel},
	"rathole":                  {what: "rathole tunnel", port: 0, kind: action.NetworkTunnel},
	"frpc":                     {what: "frp client (reverse proxy tunnel)", notSub: "|verify|reload|status|stop|", port: 0, kind: action.NetworkTunnel},
	"frps":                     {what: "frp server (reverse proxy tunnel)", notSub: "|verify|", port: 7000, kind: action.NetworkTunnel},
	"nps":                      {what: "nps tunnel server", port: 8024, kind: action.NetworkTunnel},
	"npc":                      {what: "nps tunnel client", port: 0, kind: action.NetworkTunnel},
	"chisel":                   {what: "chisel tunnel", subs: "server|client", port: 8080, portOp: "-p --port", kind: action.NetworkTunnel},
	"bore":                     {what: "bore tunnel", subs: "local|server", port: 0, kind: action.NetworkTunnel},
	"inlets":                   {what: "inlets tunnel", subs: "client|server|http|tcp|", notSub: "|version|", port: 0, kind: action.NetworkTunnel},
	"inlets-pro":               {what: "inlets tunnel", subs: "client|server|http|tcp|", notSub: "|version|", port: 0, kind: action.NetworkTunnel},
	"ngrok":                    {what: "ngrok tunnel", subs: "http|tcp|tls|start|tunnel|http2|", notSub: "|config|version|update|diagnose|authtoken|api|credits|service:never|", port: 0, kind: action.NetworkTunnel},
	"lt":                       {what: "localtunnel", port: 0, portOp: "-p --port", kind: action.NetworkTunnel},
	"localtunnel":              {what: "localtunnel", port: 0, portOp: "-p --port", kind: action.NetworkTunnel},
	"pagekite":                 {what: "pagekite tunnel", posPort: true, kind: action.NetworkTunnel},
	"pagekite.py":              {what: "pagekite tunnel", posPort: true, kind: action.NetworkTunnel},
	"telebit":                  {what: "telebit tunnel", subs: "http|tcp|ssh|", notSub: "|status|disable|", kind: action.NetworkTunnel},
	"loophole":                 {what: "loophole tunnel", subs: "http|https|path|webdav|", notSub: "|account|version|", kind: action.NetworkTunnel},
	"tunnelto":                 {what: "tunnelto", portOp: "--port -p", kind: action.NetworkTunnel},
	"tunnelmole":               {what: "tunnelmole", posPort: true, kind: action.NetworkTunnel},
	"tmole":                    {what: "tunnelmole", posPort: true, kind: action.NetworkTunnel},
	"localxpose":               {what: "localxpose tunnel", subs: "tunnel", kind: action.NetworkTunnel},
	"loclx":                    {what: "localxpose tunnel", subs: "tunnel", kind: action.NetworkTunnel},
	"pinggy":                   {what: "pinggy tunnel", kind: action.NetworkTunnel},
	"zrok":                     {what: "zrok share", subs: "share|access|reserve", kind: action.NetworkTunnel},
	"expose":                   {what: "expose tunnel", subs: "share|serve|share-cwd|", notSub: "|token|default-server|default-domain|servers|", kind: action.NetworkTunnel},
	"devtunnel":                {what: "dev tunnel", subs: "host|port create:never|connect", kind: action.NetworkTunnel},
	"sshuttle":                 {what: "sshuttle (VPN over ssh)", kind: action.NetworkTunnel},
	"ptunnel":                  {what: "ICMP tunnel", kind: action.NetworkTunnel},
	"ptunnel-ng":               {what: "ICMP tunnel", kind: action.NetworkTunnel},
	"hans":                     {what: "ICMP tunnel", kind: action.NetworkTunnel},
	"dns2tcpc":                 {what: "DNS tunnel client", kind: action.NetworkTunnel},
	"dns2tcpd":                 {what: "DNS tunnel server", kind: action.NetworkTunnel},
	"dnscat":                   {what: "DNS tunnel", kind: action.NetworkTunnel},
	"dnscat2":                  {what: "DNS tunnel", kind: action.NetworkTunnel},
	"udp2raw":                  {what: "udp2raw tunnel", kind: action.NetworkTunnel},
	"kcptun":                   {what: "kcptun tunnel", kind: action.NetworkTunnel},
	"iproxy":                   {what: "iproxy (forwards a local port to an iOS device)", posPort: true, kind: action.NetworkTunnel},
	"ktunnel":                  {what: "ktunnel", subs: "expose|inject", kind: action.NetworkTunnel},
	"kubefwd":                  {what: "kubefwd (forwards cluster services)", subs: "svc|services", kind: action.NetworkTunnel},
	"telepresence":             {what: "telepresence", subs: "connect|intercept|ingest|replace", kind: action.NetworkTunnel},
	"minikube":                 {what: "minikube tunnel", subs: "tunnel", kind: action.NetworkTunnel},
	"upnpc":                    {what: "upnpc port mapping on the router", flags: "-a -r", kind: action.NetworkTunnel},
	"natpmpc":                  {what: "NAT-PMP port mapping on the router", flags: "-a", kind: action.NetworkTunnel},
	"ligolo-proxy":             {what: "ligolo-ng proxy", kind: action.NetworkTunnel},
	"ligolo-agent":             {what: "ligolo-ng agent", kind: action.NetworkTunnel},
	"proxy":                    {what: "ligolo-ng proxy", flags: "-selfcert -laddr", kind: action.NetworkTunnel},
	"microsocks":               {what: "microsocks SOCKS proxy", port: 1080, portOp: "-p", hostOp: "-i"},
	"danted":                   {what: "dante SOCKS server", port: 1080},
	"sockd":                    {what: "dante SOCKS server", port: 1080},
	"3proxy":                   {what: "3proxy", port: 3128},
	"polipo":                   {what: "polipo proxy", port: 8123},
	"cntlm":                    {what: "cntlm proxy", port: 3128},
	"goproxy":                  {what: "goproxy", port: 0},

	// More daemons.
	"kadmind":           {what: "kadmind", port: 749},
	"radiusd":           {what: "freeradius", not: "-C -v", port: 1812},
	"freeradius":        {what: "freeradius", not: "-C -v", port: 1812},
	"opendkim":          {what: "opendkim", not: "-n -V", port: 8891},
	"spamd":             {what: "spamd", port: 783},
	"clamd":             {what: "clamd", port: 3310},
	"lpd":               {what: "lpd", port: 515},
	"mediatomb":         {what: "mediatomb", port: 49152},
	"rygel":             {what: "rygel", port: 0},
	"sabnzbd":           {what: "sabnzbd", port: 8080},
	"sabnzbdplus":       {what: "sabnzbd", port: 8080},
	"nzbget":            {what: "nzbget daemon", flags: "-D --daemon -s --server", port: 6789},
	"sonarr":            {what: "sonarr", port: 8989},
	"radarr":            {what: "radarr", port: 7878},
	"lidarr":            {what: "lidarr", port: 8686},
	"prowlarr":          {what: "prowlarr", port: 9696},
	"jackett":           {what: "jackett", port: 9117},
	"bazarr":            {what: "bazarr", port: 6767},
	"hass":              {what: "home assistant", notSub: "|script|", port: 8123},
	"homeassistant":     {what: "home assistant", port: 8123},
	"node-red":          {what: "node-red", port: 1880, portOp: "-p --port"},
	"emqx":              {what: "emqx", subs: "start|foreground|console", port: 1883},
	"domoticz":          {what: "domoticz", port: 8080, portOp: "-www"},
	"octoprint":         {what: "octoprint serve", subs: "serve", port: 5000, portOp: "--port", hostOp: "--host"},
	"moonraker":         {what: "moonraker", port: 7125},
	"pihole-ftl":        {what: "pi-hole FTL", port: 53},
	"stubby":            {what: "stubby", not: "-i", port: 53},
	"dnscrypt-proxy":    {what: "dnscrypt-proxy", not: "-check -list -list-all -resolve -version", port: 53},
	"knotd":             {what: "knot DNS", port: 53},
	"nsd":               {what: "nsd", port: 53},
	"dnsdist":           {what: "dnsdist", not: "--check-config -c:never", port: 53},
	"smtpd":             {what: "smtpd", not: "-n", port: 25},
	"synctl":            {what: "synapse synctl start", subs: "start|restart", port: 8008},
	"conduit":           {what: "conduit matrix server", port: 6167},
	"dendrite":          {what: "dendrite matrix server", port: 8008},
	"znc":               {what: "znc", not: "--makeconf --makepass --makepem -s:never", port: 6697},
	"ngircd":            {what: "ngircd", not: "--configtest -t", port: 6667},
	"inspircd":          {what: "inspircd", port: 6667},
	"unrealircd":        {what: "unrealircd", subs: "start|restart", port: 6667},
	"bitlbee":           {what: "bitlbee", port: 6667},
	"quassel-core":      {what: "quassel core", port: 4242},
	"quasselcore":       {what: "quassel core", port: 4242},
	"thelounge":         {what: "thelounge start", subs: "start", port: 9000},
	"drone-server":      {what: "drone server", port: 80},
	"woodpecker-server": {what: "woodpecker server", port: 8000},
	"concourse":         {what: "concourse web", subs: "web|quickstart", port: 8080},
	"buildkitd":         {what: "buildkitd", flags: "--addr", addrOp: "--addr", port: 0},
	"artifactory":       {what: "artifactory", port: 8081},
	"vaultwarden":       {what: "vaultwarden", port: 8000},
	"authelia":          {what: "authelia", port: 9091},
	"oauth2-proxy":      {what: "oauth2-proxy", port: 4180, addrOp: "--http-address"},
	"keepalived":        {what: "keepalived", not: "-t --config-test", port: 0},
	"dhcpd6":            {what: "dhcpd", port: 547},
	"dhcrelay":          {what: "dhcp relay", port: 67},
	"miredo":            {what: "miredo teredo tunnel", kind: action.NetworkTunnel},
	"ocserv":            {what: "openconnect server", port: 443},
	"strongswan":        {what: "strongswan", subs: "start|restart", port: 500},
	"ipsec":             {what: "ipsec start", subs: "start|restart", port: 500},
	"charon":            {what: "strongswan charon", port: 500},
	"pptpd":             {what: "pptpd", port: 1723},
	"xl2tpd":            {what: "xl2tpd", port: 1701},
	"softether":         {what: "softether vpn server", subs: "start", port: 443},
	"vpnserver":         {what: "softether vpn server", subs: "start", port: 443},
	"headscale":         {what: "headscale serve", subs: "serve", port: 8080},
	"netbird":           {what: "netbird", subs: "up|service", kind: action.NetworkConnect},
	"tailscaled":        {what: "tailscaled", port: 41641},
	"zerotier-one":      {what: "zerotier", port: 9993},
	"yggdrasil":         {what: "yggdrasil", not: "-genconf -normaliseconf", port: 0},
	"cjdroute":          {what: "cjdns", port: 0},
	"nebula":            {what: "nebula", port: 4242},
	"gotify":            {what: "gotify server", port: 80},
	"ntfy":              {what: "ntfy serve", subs: "serve", port: 80},
	"apprise-api":       {what: "apprise api", port: 8000},
	"searxng":           {what: "searxng", port: 8888},
	"whoogle-search":    {what: "whoogle", port: 5000},
	"miniflux":          {what: "miniflux", not: "-migrate -create-admin -version -info", port: 8080},
	"freshrss":          {what: "freshrss", port: 80},
	"wallabag":          {what: "wallabag", port: 80},
	"paperless":         {what: "paperless", port: 8000},
	"photoprism":        {what: "photoprism start", subs: "start|up", port: 2342},
	"filestash":         {what: "filestash", port: 8334},
	"seafile-server":    {what: "seafile", port: 8000},
	"owncast":           {what: "owncast", port: 8080},
	"peertube":          {what: "peertube", port: 9000},
	"mastodon":          {what: "mastodon", port: 3000},
	"gotosocial":        {what: "gotosocial server start", subs: "server start", port: 8080},
	"writefreely":       {what: "writefreely", notSub: "|config|db|keys|user|", port: 8080},
	"hedgedoc":          {what: "hedgedoc", port: 3000},
	"etherpad":          {what: "etherpad", port: 9001},
	"wiki-js":           {what: "wiki.js", port: 3000},
	"bookstack":         {what: "bookstack", port: 80},
	"outline":           {what: "outline", port: 3000},
	"mattermost":        {what: "mattermost server", subs: "server|", port: 8065},
	"rocketchat":        {what: "rocket.chat", port: 3000},
	"zulip":             {what: "zulip", port: 80},
	"discourse":         {what: "discourse", port: 80},
	"flarum":            {what: "flarum", port: 80},
	// More servers: documentation, preview and mock servers.
	"quarto":                      {what: "quarto preview", subs: "preview|serve", port: 4200, portOp: "--port", hostOp: "--host"},
	"marp":                        {what: "marp --server", flags: "-s --server -p --preview", port: 8080},
	"reveal-md":                   {what: "reveal-md", not: "--static --print", port: 1948, portOp: "-p --port", hostOp: "--host"},
	"markserv":                    {what: "markserv", port: 8642, portOp: "-p --port", hostOp: "-a --address"},
	"redoc-cli":                   {what: "redoc-cli serve", subs: "serve", port: 8080, portOp: "-p --port"},
	"redocly":                     {what: "redocly preview-docs", subs: "preview-docs|preview", port: 8080, portOp: "-p --port"},
	"mockoon-cli":                 {what: "mockoon-cli start", subs: "start", port: 3000, portOp: "-p --port"},
	"prism":                       {what: "prism mock/proxy", subs: "mock|proxy", port: 4010, portOp: "-p --port", hostOp: "-h --host"},
	"wiremock":                    {what: "wiremock", port: 8080, portOp: "--port"},
	"nanoc":                       {what: "nanoc view", subs: "view|live", port: 3000, portOp: "-p --port"},
	"adsf":                        {what: "adsf", port: 3000, portOp: "-p --port"},
	"yard":                        {what: "yard server", subs: "server", port: 8808, portOp: "-p --port"},
	"hakyll":                      {what: "hakyll watch", subs: "watch|server", port: 8000},
	"site":                        {what: "hakyll site watch", subs: "watch|server", port: 8000},
	"trunk":                       {what: "trunk serve", subs: "serve", port: 8080, portOp: "--port", addrOp: "--address"},
	"dx":                          {what: "dioxus serve", subs: "serve", port: 8080, portOp: "--port"},
	"dioxus":                      {what: "dioxus serve", subs: "serve", port: 8080, portOp: "--port"},
	"cargo-leptos":                {what: "cargo leptos watch/serve", subs: "watch|serve", port: 3000},
	"simple-http-server":          {what: "simple-http-server", port: 8000, portOp: "-p --port", hostOp: "-i --ip"},
	"basic-http-server":           {what: "basic-http-server", port: 4000, addrOp: "-a --addr"},
	"static-web-server":           {what: "static-web-server", port: 80, portOp: "-p --port", hostOp: "-a --host"},
	"sfz":                         {what: "sfz", port: 5000, portOp: "-p --port", hostOp: "-b --bind"},
	"dufs":                        {what: "dufs", port: 5000, portOp: "-p --port", hostOp: "-b --bind"},
	"godoc":                       {what: "godoc -http", flags: "-http", addrOp: "-http", port: 6060},
	"pkgsite":                     {what: "pkgsite", port: 8080, addrOp: "-http"},
	"present":                     {what: "go present", port: 3999, addrOp: "-http"},
	"gopherjs":                    {what: "gopherjs serve", subs: "serve", port: 8080},
	"pocketbase":                  {what: "pocketbase serve", subs: "serve", port: 8090, addrOp: "--http"},
	"livebook":                    {what: "livebook server", subs: "server", port: 8080, portOp: "--port"},
	"epmd":                        {what: "epmd (Erlang port mapper)", not: "-names -kill -stop", port: 4369},
	"wp":                          {what: "wp server", subs: "server", port: 8080, portOp: "--port", hostOp: "--host"},
	"drush":                       {what: "drush runserver", subs: "runserver|rs|serve", port: 8888, posPort: true},
	"valet":                       {what: "valet start", subs: "start|restart|install", port: 80},
	"kc":                          {what: "keycloak start", subs: "start|start-dev", port: 8080, portOp: "--http-port"},
	"activemq":                    {what: "activemq start", subs: "start|console|restart", port: 61616},
	"artemis":                     {what: "artemis run", subs: "run", port: 61616},
	"liberty":                     {what: "open liberty server", subs: "run|start", port: 9080},
	"zap":                         {what: "OWASP ZAP daemon", flags: "-daemon", port: 8080, portOp: "-port"},
	"burpsuite":                   {what: "Burp Suite proxy", port: 8080},
	"msfconsole":                  {what: "metasploit console (handlers listen)", flags: "-x -r", port: 0},
	"sliver-server":               {what: "sliver C2 server", port: 31337},
	"frida-server":                {what: "frida-server", port: 27042, addrOp: "-l --listen"},
	"lldb-server":                 {what: "lldb-server", subs: "platform|gdbserver|g", port: 0, addrOp: "--listen"},
	"chromium":                    {what: "chromium remote debugging", flags: "--remote-debugging-port", portOp: "--remote-debugging-port", port: 9222},
	"chromium-browser":            {what: "chromium remote debugging", flags: "--remote-debugging-port", portOp: "--remote-debugging-port", port: 9222},
	"google-chrome":               {what: "chrome remote debugging", flags: "--remote-debugging-port", portOp: "--remote-debugging-port", port: 9222},
	"google-chrome-stable":        {what: "chrome remote debugging", flags: "--remote-debugging-port", portOp: "--remote-debugging-port", port: 9222},
	"chrome":                      {what: "chrome remote debugging", flags: "--remote-debugging-port", portOp: "--remote-debugging-port", port: 9222},
	"firefox":                     {what: "firefox debugger server", flags: "--start-debugger-server", port: 6000},
	"ipython":                     {what: "ipython kernel", subs: "kernel", port: 0},
	"ipcontroller":                {what: "ipyparallel controller", port: 0},
	"ipcluster":                   {what: "ipyparallel cluster", subs: "start", port: 0},
	"dask-scheduler":              {what: "dask scheduler", port: 8786, portOp: "--port", hostOp: "--host"},
	"dask":                        {what: "dask scheduler", subs: "scheduler|worker", port: 8786, portOp: "--port"},
	"ray":                         {what: "ray start --head", subs: "start|dashboard:never|serve", port: 6379, portOp: "--port"},
	"celery":                      {what: "celery flower", subs: "flower", port: 5555, portOp: "--port"},
	"flower":                      {what: "celery flower", port: 5555, portOp: "--port", hostOp: "--address"},
	"airflow":                     {what: "airflow webserver", subs: "webserver|standalone|api-server|triggerer:never", port: 8080, portOp: "-p --port", hostOp: "-H --hostname"},
	"superset":                    {what: "superset run", subs: "run", port: 8088, portOp: "-p --port", hostOp: "-h --host"},
	"scrapyd":                     {what: "scrapyd", port: 6800},
	"radicale":                    {what: "radicale (CalDAV server)", port: 5232, addrOp: "-H --hosts --server-hosts"},
	"sqlite-web":                  {what: "sqlite-web", port: 8080, portOp: "-p --port", hostOp: "-H --host"},
	"pgweb":                       {what: "pgweb", port: 8081, portOp: "--listen", hostOp: "--bind"},
	"adminer":                     {what: "adminer", port: 8080},
	"portainer":                   {what: "portainer", port: 9000},
	"uptime-kuma":                 {what: "uptime kuma", port: 3001},
	"cadvisor":                    {what: "cadvisor", port: 8080, portOp: "-port"},
	"statsd":                      {what: "statsd", port: 8125},
	"carbon-cache":                {what: "carbon-cache", subs: "start", port: 2003},
	"victoria-metrics":            {what: "victoria-metrics", port: 8428},
	"thanos":                      {what: "thanos", subs: "query|sidecar|store|receive|rule|compact", port: 10902},
	"tempo":                       {what: "tempo", port: 3200},
	"zipkin":                      {what: "zipkin", port: 9411},
	"saned":                       {what: "saned (scanner server)", port: 6566},
	"snapserver":                  {what: "snapserver", port: 1704},
	"shairport-sync":              {what: "shairport-sync (AirPlay receiver)", port: 5000},
	"uxplay":                      {what: "uxplay (AirPlay receiver)", port: 7000},
	"motion":                      {what: "motion (webcam server)", port: 8081},
	"mjpg_streamer":               {what: "mjpg-streamer", port: 8080},
	"go2rtc":                      {what: "go2rtc", port: 1984},
	"ffserver":                    {what: "ffserver", port: 8090},
	"rstudio-server":              {what: "rstudio-server", subs: "start|restart", port: 8787},
	"shiny-server":                {what: "shiny-server", port: 3838},
	"svnserve":                    {what: "svnserve", flags: "-d --daemon -X --listen-once -i:never", port: 3690, portOp: "--listen-port", hostOp: "--listen-host"},
	"tcpserver":                   {what: "tcpserver (ucspi-tcp)", posPort: true, port: 0},
	"tcpsvd":                      {what: "tcpsvd", posPort: true, port: 0},
	"udpsvd":                      {what: "udpsvd", posPort: true, port: 0},
	"redsocks":                    {what: "redsocks transparent proxy", port: 12345, kind: action.NetworkTunnel},
	"tun2socks":                   {what: "tun2socks", kind: action.NetworkTunnel},
	"boundary":                    {what: "boundary connect (forwards a local port)", subs: "connect|dev", kind: action.NetworkTunnel},
	"okteto":                      {what: "okteto up (forwards ports to the cluster)", subs: "up", kind: action.NetworkTunnel},
	"skaffold":                    {what: "skaffold dev (port-forwards)", subs: "dev|debug", flags: "--port-forward", kind: action.NetworkTunnel},
	"tilt":                        {what: "tilt up (web UI and port-forwards)", subs: "up", port: 10350, portOp: "--port"},
	"dapr":                        {what: "dapr run (sidecar listens)", subs: "run|dashboard", port: 3500, portOp: "--dapr-http-port -H"},
	"garden":                      {what: "garden dev", subs: "dev|serve", port: 9777},
	"sccache":                     {what: "sccache server", flags: "--start-server", port: 4226},
	"mailcatcher":                 {what: "mailcatcher", port: 1080},
	"xonotic-dedicated":           {what: "xonotic dedicated server", port: 26000},
	"factoryserver":               {what: "satisfactory dedicated server", port: 7777},
	"rustdedicated":               {what: "rust dedicated server", port: 28015},
	"7daystodieserver":            {what: "7 days to die server", port: 26900},
	"enshrouded_server":           {what: "enshrouded server", port: 15636},
	"bedrock_server":              {what: "minecraft bedrock server", port: 19132},
	"gnome-remote-desktop-daemon": {what: "gnome remote desktop", port: 3389},
	"rustdesk":                    {what: "rustdesk", flags: "--server", port: 21116},
	"spiced":                      {what: "spice server", port: 5900},
	"ntpd":                        {what: "ntpd (NTP server)", not: "-q -n:never --version", port: 123},
	"chronyd":                     {what: "chronyd", not: "-q -Q", port: 123},
	"radvd":                       {what: "radvd", not: "-c --configtest", port: 0},
	"rsyslogd":                    {what: "rsyslogd", not: "-N", port: 514},
	"syslog-ng":                   {what: "syslog-ng", not: "--syntax-only -s", port: 514},
	"ftpd":                        {what: "ftpd", port: 21},
	"dnsd":                        {what: "busybox dnsd", port: 53, portOp: "-p"},
}

// servers reports whether prog is a known server (or tunnel) program and
// records its facet when this invocation serves.
func (f *finder) servers(v action.Argv, lower, base string, args []string) bool {
	s, ok := servers[lower]
	if !ok {
		s, ok = servers[base]
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
