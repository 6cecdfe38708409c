// Command devstack runs the whole livetree system locally, on loopback and
// embedded defaults, and prints the URL to watch. `make run` starts it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/livetree/livetree/bench/devstack"
)

func main() { os.Exit(run()) }

func run() int {
	cfg := devstack.DefaultConfig()
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	fs.StringVar(&cfg.Usher, "usher", cfg.Usher, "usher's address (viewers start here)")
	fs.StringVar(&cfg.OriginHTTP, "origin", cfg.OriginHTTP, "the origin's HTTP address")
	fs.StringVar(&cfg.OriginRTMP, "rtmp", cfg.OriginRTMP, "the origin's RTMP address")
	fs.StringVar(&cfg.Tier1, "tier1", cfg.Tier1, "the tier-1 edge's address")
	fs.StringVar(&cfg.Tier2[0], "tier2a", cfg.Tier2[0], "the tier-2 edge in datacentre a")
	fs.StringVar(&cfg.Tier2[1], "tier2b", cfg.Tier2[1], "the tier-2 edge in datacentre b")
	fs.StringVar(&cfg.Sample, "sample", cfg.Sample, "MPEG-TS file the built-in broadcaster loops")
	fs.StringVar(&cfg.Stream, "stream", cfg.Stream, `stream the built-in broadcaster publishes ("" for none)`)
	level := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	lvl, err := zerolog.ParseLevel(*level)
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack: -log-level:", err)
		return 2
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.TimeOnly}).
		With().Timestamp().Logger().Level(lvl)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := devstack.Start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		fmt.Fprintln(os.Stderr, "Is another livetree (or anything else) using these ports? See -h to move them.")
		return 1
	}
	printBanner(st, cfg)
	<-ctx.Done()
	fmt.Println("\nstopping…")
	if err := st.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		return 1
	}
	return 0
}

func printBanner(st *devstack.Stack, cfg devstack.Config) {
	fmt.Printf(`
livetree is running. Ctrl-C stops it.

  Watch:    %s          (hls.js; add ?mode=dash or ?mode=chunked)
  Streams:  %s/

  Publish your own stream:
    ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440 \
      -c:v libx264 -preset veryfast -tune zerolatency -g 30 -c:a aac \
      -f flv %s/mystream
    OBS: Settings → Stream → Custom; Server %s, Stream key mystream
    then watch %s

  Servers:  usher %s · origin %s · tier-1 edge %s · tier-2 edges %s (dc a), %s (dc b)
`, st.WatchURL(cfg.Stream, "hls"), st.UsherURL, st.RTMPURL, st.RTMPURL, st.UsherURL+"/watch/mystream",
		st.UsherURL, st.OriginURL, st.Tier1URL, st.Tier2URLs[0], st.Tier2URLs[1])
}
