// Package settings holds what every livetree server command does the same
// way with its settings: environment variables that override flags, and
// comma-separated list values.
package settings

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// EnvName is the environment variable that sets flag name: LIVETREE_, then
// the name upper-cased with dashes as underscores (-stall-timeout is
// LIVETREE_STALL_TIMEOUT).
func EnvName(name string) string {
	return "LIVETREE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// FromEnv sets each flag of fs whose environment variable is present, so
// that the environment wins over the command line. It reports every value
// that does not parse, named by its variable.
func FromEnv(fs *flag.FlagSet) error {
	var errs error
	fs.VisitAll(func(f *flag.Flag) {
		name := EnvName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = errors.Join(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	})
	return errs
}

// List splits a comma-separated value, trimming spaces and dropping empty
// items.
func List(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
