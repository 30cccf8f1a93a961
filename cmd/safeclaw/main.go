// Command safeclaw is a deny-by-default gate between AI agents and the machine.
// Everything lives in internal/cli; see the README.
package main

import (
	"context"
	"os"

	"github.com/safeclaw/safeclaw/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.OSEnv()))
}
