package push

import (
	"fmt"
	"math"

	"github.com/livetree/livetree/bench/report"
)

// Report renders the result for people and machines.
func (res *RunResult) Report(command []string) *report.Report {
	c := res.Config
	rep := &report.Report{
		Title:   fmt.Sprintf("bench push: %d broadcasters", c.Streams),
		Mode:    "push",
		Command: command,
		Start:   res.Start,
		End:     res.End,
	}
	rep.Param("broadcasters", fmt.Sprint(c.Streams))
	rep.Param("url", c.URL)
	rep.Param("duration", c.Duration.String())
	rep.Param("starts spread over", c.Spread.String())
	if c.Media != nil {
		rep.Param("clip", fmt.Sprintf("%.2f Mbit/s payload, %v loop", c.Media.Bitrate/1e6, c.Media.Duration.Round(1e6)))
	}
	secs := res.End.Sub(res.Start).Seconds()
	add := func(key, name string, v float64, unit string) {
		rep.Add(report.Figure{Key: key, Name: name, Value: v, Unit: unit})
	}
	add("broadcasters", "broadcasters", float64(c.Streams), "")
	add("publishes", "publish sessions", float64(res.Publishes), "")
	add("frames", "frames sent", float64(res.Frames), "")
	add("send_mbps", "payload sent, mean", float64(res.Bytes)*8/secs/1e6, "Mbps")
	if c.Media != nil && c.Streams > 0 {
		add("target_mbps", "payload the clip should send", c.Media.Bitrate*float64(c.Streams)/1e6, "Mbps")
	}
	add("late_frames", "frames sent late (> 50 ms behind)", float64(res.Late), "")
	late := 0.0
	if res.Frames > 0 {
		late = float64(res.Late) / float64(res.Frames)
	}
	add("late_share", "frames sent late", late, report.UnitFraction)
	add("behind_mean_ms", "sender behind schedule, mean", float64(res.MeanBehind.Microseconds())/1000, "ms")
	add("behind_max_ms", "sender behind schedule, max", float64(res.MaxBehind.Microseconds())/1000, "ms")
	errs := int64(0)
	for _, n := range res.Errors {
		errs += n
	}
	add("errors", "publisher errors", float64(errs), "")
	ingest := math.NaN()
	if res.IngestFrames >= 0 {
		ingest = float64(res.IngestFrames)
	}
	add("ingest_frames", "frames the ingest counted", ingest, "")
	add("generator_cpu_cores", "generator CPU", res.CPU.Seconds()/secs, "cores")

	at := func(s RunSample) float64 { return s.At.Seconds() }
	series := func(name string, f func(RunSample) float64) report.Series {
		out := report.Series{Name: name}
		for _, s := range res.Series {
			out.Points = append(out.Points, report.Point{X: at(s), Y: f(s)})
		}
		return out
	}
	rep.Charts = []report.Chart{
		{Key: "send", Title: "Payload sent", XUnit: "s", YUnit: "Mbps", Series: []report.Series{
			series("Mbps", func(s RunSample) float64 { return s.Mbps })}},
		{Key: "publishers", Title: "Broadcasters publishing", XUnit: "s", YUnit: "streams", Series: []report.Series{
			series("publishing", func(s RunSample) float64 { return float64(s.Publishers) })}},
		{Key: "late", Title: "Frames sent late per second", XUnit: "s", YUnit: "frames", Series: []report.Series{
			series("late", func(s RunSample) float64 { return float64(s.Late) })}},
		{Key: "cpu", Title: "Generator CPU", XUnit: "s", YUnit: "cores", Series: []report.Series{
			series("cores", func(s RunSample) float64 { return s.CPU })}},
	}
	t := report.Table{Title: "Publisher errors by class", Columns: []string{"class", "count"}}
	for _, k := range res.ErrorClasses() {
		t.Rows = append(t.Rows, []string{k, fmt.Sprint(res.Errors[k])})
	}
	if len(t.Rows) > 0 {
		rep.Tables = []report.Table{t}
	}
	rep.Notes = []string{
		"Each broadcaster replays the clip in real time, loop after loop with continuous timestamps; a frame leaves when the wall clock reaches its decode time. How far behind that schedule frames actually left shows whether the sender kept up.",
		"Payload is H.264 NAL units and AAC frames, without RTMP, FLV or MPEG-TS overhead.",
	}
	if res.IngestErr != nil {
		rep.Notes = append(rep.Notes, "Ingest metrics: "+res.IngestErr.Error())
	} else if res.IngestFrames >= 0 {
		rep.Notes = append(rep.Notes, "Frames the ingest counted come from its /metrics (livetree_ingest_frames_total) before and after the run, so they include any other publisher's.")
	}
	return rep
}
