package report

import (
	"flag"
	"fmt"
	"strconv"
)

// Gate turns command line flags into figure limits, so every mode gates
// its exit status the same way:
//
//	var g report.Gate
//	g.Max(fs, "max-overflow-share", "overflow_share", "fail when more than this share overflows")
//	...
//	if err := g.Apply(r); err != nil { ... }
//	if failed := r.Check(); len(failed) > 0 { return 1 }
type Gate struct {
	flags []*gateFlag
}

// gateFlag is one limit flag; it is a flag.Value.
type gateFlag struct {
	key   string
	max   bool
	value float64
	set   bool
}

func (f *gateFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.FormatFloat(f.value, 'g', -1, 64)
}

func (f *gateFlag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	f.value, f.set = v, true
	return nil
}

// Max registers flag name on fs: the figure key must not exceed it.
func (g *Gate) Max(fs *flag.FlagSet, name, key, usage string) {
	g.add(fs, name, key, usage, true)
}

// Min registers flag name on fs: the figure key must reach it.
func (g *Gate) Min(fs *flag.FlagSet, name, key, usage string) {
	g.add(fs, name, key, usage, false)
}

func (g *Gate) add(fs *flag.FlagSet, name, key, usage string, max bool) {
	f := &gateFlag{key: key, max: max}
	g.flags = append(g.flags, f)
	fs.Var(f, name, usage+" (unset: no limit)")
}

// Limits returns the limits whose flags were given, by figure key.
func (g *Gate) Limits() map[string]Limit {
	out := make(map[string]Limit)
	for _, f := range g.flags {
		if f.set {
			out[f.key] = Limit{Max: f.max, Value: f.value}
		}
	}
	return out
}

// Apply puts the given limits on r's figures, replacing any limit a figure
// already has. It fails with ErrUnknownFigure for a limit on a figure r
// lacks, after applying the others.
func (g *Gate) Apply(r *Report) error {
	var missing []string
	for _, f := range g.flags {
		if !f.set {
			continue
		}
		fig, ok := r.Figure(f.key)
		if !ok {
			missing = append(missing, f.key)
			continue
		}
		fig.Limit = &Limit{Max: f.max, Value: f.value}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %v", ErrUnknownFigure, missing)
	}
	return nil
}
