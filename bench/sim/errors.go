package sim

import "errors"

// ErrInvalidConfig reports a Config that Validate rejects; the wrapped
// error names each offending setting.
var ErrInvalidConfig = errors.New("sim: invalid config")

// ErrInvariant reports a broken simulator invariant, such as viewers that
// are neither served nor overflowed. It means a bug in the simulator, not
// a finding about placement.
var ErrInvariant = errors.New("sim: invariant broken")
