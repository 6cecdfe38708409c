package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/livetree/livetree/bench/sim"
)

// modeFunc runs one mode with its own arguments and returns the exit
// status.
type modeFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// modes are the subcommands; a new mode is one line here.
var modes = []struct {
	name, summary string
	run           modeFunc
}{
	{"sim", "simulate the fleet at internet scale on a virtual clock", sim.Main},
	{"play", "load-test playback through usher and the edges", playMain},
	{"push", "load-test ingest with many publishers", pushMain},
}

// Exit statuses of the dispatcher itself.
const exitUsage = 2

// parseFlags parses a mode's arguments, which take no operands. When the
// mode should stop, ok is false and code is its exit status: 0 after
// -help, exitUsage after an error, which the flag set has printed.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return exitUsage, false
	}
	return 0, true
}

// run dispatches to the mode named by args[0].
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	for _, m := range modes {
		if m.name == args[0] {
			return m.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "bench: unknown mode %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: bench MODE [flags]    (bench MODE -h for the mode's flags)\n\nmodes:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, m := range modes {
		fmt.Fprintf(tw, "  %s\t%s\n", m.name, m.summary)
	}
	tw.Flush()
}
