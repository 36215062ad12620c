package viz

import (
	"context"
	"io"
)

// ctxChunk is how much ctxWriter writes between its looks at the context.
const ctxChunk = 64 << 10

// ctxWriter writes to w in chunks until ctx is done, then fails with
// ctx's error: an atomic write through it stops within a chunk of the
// cancel and leaves nothing behind.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := c.ctx.Err(); err != nil {
			return n, err
		}
		k, err := c.w.Write(p[:min(len(p), ctxChunk)])
		n += k
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}
