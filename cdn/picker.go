package cdn

import "context"

// ParentPicker chooses the parent an edge pulls a stream from, as a base
// URL such as "http://10.0.0.1:8081": usher in tree mode, or a
// StaticPicker naming one parent for every stream. An error wrapping
// ErrNotFound means no parent can have the stream.
type ParentPicker interface {
	Parent(ctx context.Context, stream string) (string, error)
}

// PickerFunc adapts a function to ParentPicker.
type PickerFunc func(ctx context.Context, stream string) (string, error)

// Parent calls f.
func (f PickerFunc) Parent(ctx context.Context, stream string) (string, error) { return f(ctx, stream) }

// StaticPicker is a fixed parent for every stream; empty means none, so
// only the fallbacks are tried.
type StaticPicker string

// Parent returns the fixed parent.
func (p StaticPicker) Parent(context.Context, string) (string, error) {
	if p == "" {
		return "", ErrNoParent
	}
	return string(p), nil
}
