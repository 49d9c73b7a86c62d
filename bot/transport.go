package bot

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// wholeBodyClient sends each request to Telegram with its body in one
// piece. go-telegram/bot streams its multipart form through an io.Pipe,
// which net/http sends chunked, flushing every part as a write of its own:
// a dozen system calls and TCP segments for a one-line reply, the largest
// share of the bot's CPU on the update path (issue 13, docs/BENCHMARKS.md).
// Reading the form first gives one write with a Content-Length, which is
// also what Telegram's own clients send.
type wholeBodyClient struct{ c *http.Client }

func (w wholeBodyClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength > 0 {
		return w.c.Do(req)
	}
	// One allocation for a usual reply (a text and a keyboard: 1–3 KB),
	// where io.ReadAll grows from 512 bytes through four or five. Not
	// pooled: net/http may still read the body after Do returns.
	var buf bytes.Buffer
	buf.Grow(4 << 10)
	_, err := buf.ReadFrom(req.Body)
	body := buf.Bytes()
	_ = req.Body.Close()
	if err != nil {
		// The library's form builder failed (it closes its pipe with
		// the error): nothing was sent.
		return nil, fmt.Errorf("bot: request body: %w", err)
	}
	req.ContentLength = int64(len(body))
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return w.c.Do(req)
}
