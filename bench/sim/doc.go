// Package sim simulates a livetree fleet at internet scale on a virtual
// clock, with usher's real placement and tree planner (usher/placement)
// deciding every viewer and every tree.
//
// The defaults are the model's figures (Justin.tv/Twitch usher): 200 edges
// of 1 Gbps in 4 datacenters, 2,000 live streams of Zipf popularity, a day
// whose demand averages 45 Gbps and peaks at 110 Gbps in the evening, an
// event that takes demand to 500 Gbps, well past the fleet, and streams
// that gain 100,000 viewers in a minute. Viewer regions, ISPs, peering and
// datacenter prices are drawn from the seed.
//
// Each tick is one virtual second: viewers leave (exponential viewing
// times) and arrive (following the daily curve, the event and the
// surges); usher rebuilds its snapshot and resets its Ledger every
// refresh (250 ms) and places that refresh's arrivals with Ledger.Choose;
// PlanAll plans the trees every second and the edges apply the plans; a
// parent's egress includes a bitrate per child it feeds. After the
// decisions and again after the plan, every edge is checked against its
// capacity, and at the end of the tick every viewer must be on an edge or
// on the overflow CDN.
//
// To simulate a day in well under a minute on two cores, the simulator
// approximates in documented ways: viewers are counts per stream and
// edge; a stream's arrivals beyond Config.MaxDecisions in one refresh are
// decided in groups; snapshots hold only the streams they are about; and
// PlanAll plans the streams that changed plus a rolling sweep instead of
// all 2,000 every second (Config.PlanAllStreams turns that off). Results
// are a pure function of the Config: no wall clock and no map order enter
// them.
package sim
