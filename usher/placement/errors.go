package placement

import "errors"

// ErrInvalidDials reports a Dials value that Validate rejects; the wrapped
// error names each offending field.
var ErrInvalidDials = errors.New("placement: invalid dials")

// ErrInvalidEdge reports an edge NewSnapshot cannot use: an empty or duplicate
// ID, or a negative or non-finite capacity or egress.
var ErrInvalidEdge = errors.New("placement: invalid edge")

// ErrInvalidOrigin reports a stream whose origin has no URL or a bitrate that
// is not a positive finite number.
var ErrInvalidOrigin = errors.New("placement: invalid origin")

// ErrTooManyDCs reports a fleet with more datacenters than MaxDCs.
var ErrTooManyDCs = errors.New("placement: too many datacenters")

// ErrUnknownStream reports a stream the snapshot has no origin for.
var ErrUnknownStream = errors.New("placement: unknown stream")

// ErrUnknownEdge reports an edge ID the snapshot does not hold.
var ErrUnknownEdge = errors.New("placement: unknown edge")
