// Package cdn is the livetree edge: a server that pulls each stream its
// viewers ask for from a parent (the origin or another edge) over one feed
// connection (package packager/feed), keeps the stream's window in RAM, and
// serves viewers from it with the same delivery handler the origin mounts
// (package cdn/delivery).
//
// However many viewers and child edges ask for a stream at once, an edge
// holds at most one upstream connection per stream: concurrent misses
// coalesce onto one puller, as groupcache's fill path does. A puller that
// loses its parent, or whose parent stalls or refuses, moves to the next
// candidate within a second and resumes from the last chunk it holds, so
// viewers see a short delay and never a gap.
//
// Every server, origin and edge, serves GET /feed/{stream} (FeedHandler),
// so edges can form a tree.
//
// With usher (Config.Ushers), an edge reports its load every half second,
// stops taking new viewers while usher asks it to drain, and, unless its
// parent is fixed, asks usher whom to pull each stream from and moves a
// stream to another parent when usher's plan changes. It follows no
// redirect: only the parents usher names or it is configured with.
//
// Access guards origin and edges alike: viewers need a playback token
// usher signed for the stream (package usher/token), child edges the
// fleet token.
package cdn
