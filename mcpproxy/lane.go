package mcpproxy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// A lane sits below the SDK's newline-delimited transports on the stdio
// side of the proxy: it reads the byte stream itself, offers every line
// to the fast path, and hands the lines the fast path declines, unchanged
// and in order, to the SDK through a pipe. The SDK therefore sees the
// stream it would have seen, minus the messages the fast path answered;
// anything the lane cannot recognise (a batch, a value spread over lines,
// a line too long to inspect) simply goes to the SDK, which decides it on
// the ordinary path. Reading the stream here rather than through the
// SDK's connection saves, per message, a decoder that allocates 64 KiB
// and two goroutine hand-offs: about a quarter of what relaying an allowed
// call cost.

// maxInspect is the longest line a lane decodes; longer lines go to the
// SDK whole, which refuses lines over its own limit (16 MiB).
const maxInspect = mcp.DefaultMaxLineLength

// splitLines returns the reader the SDK's transport reads from: src minus
// the lines take accepted. take sees each complete line, newline
// included, and must not keep it. ended, if set, is called with the
// reason the lane stopped (src ended or failed, or the SDK closed its end)
// before the SDK sees the end. Closing the returned reader closes src.
func splitLines(src io.ReadCloser, take func(line []byte) bool, ended func(error)) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		err := relayLines(src, pw, take)
		if ended != nil {
			ended(err)
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
		src.Close()
		pw.CloseWithError(err)
	}()
	return &laneReader{PipeReader: pr, src: src}
}

// relayLines offers src's lines to take and writes the others to sdk, until
// src ends or the SDK closes its end; it returns why it stopped.
func relayLines(src io.Reader, sdk io.Writer, take func(line []byte) bool) error {
	br := bufio.NewReaderSize(src, 64<<10)
	var long []byte
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// Gather the rest of a long line, up to maxInspect.
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) && len(long) <= maxInspect {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
			// Too long to inspect: the SDK gets it, and the rest of the
			// line with it.
			for errors.Is(err, bufio.ErrBufferFull) {
				if _, werr := sdk.Write(line); werr != nil {
					return werr
				}
				line, err = br.ReadSlice('\n')
				long = nil
			}
			if long == nil {
				if _, werr := sdk.Write(line); werr != nil {
					return werr
				}
				line = nil
			}
		}
		if len(line) > 0 && (err != nil || !take(line)) {
			if _, werr := sdk.Write(line); werr != nil {
				return werr // the SDK closed its end
			}
		}
		if cap(long) > 64<<10 {
			long = nil // a rare long line's buffer is not kept
		}
		if err != nil {
			return err
		}
	}
}

type laneReader struct {
	*io.PipeReader
	src io.Closer
}

func (r *laneReader) Close() error {
	r.PipeReader.Close()
	return r.src.Close()
}

// lineWriter serialises whole-line writes to w from the SDK's transport
// (which writes each message, newline included, in one call) and from the
// fast path.
type lineWriter struct {
	mu sync.Mutex
	w  io.WriteCloser
	// seen, if set, sees each line the SDK writes (not the fast path's);
	// wrote, if set, each such line once it is written.
	seen, wrote func(line []byte)
}

func (l *lineWriter) Write(p []byte) (int, error) {
	if l.seen != nil {
		l.seen(p)
	}
	n, err := l.write(p)
	if err == nil && l.wrote != nil {
		l.wrote(p)
	}
	return n, err
}

func (l *lineWriter) write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lineWriter) Close() error { return l.w.Close() }

// send writes msg as one line.
func (l *lineWriter) send(msg jsonrpc.Message) error {
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return err
	}
	_, err = l.write(append(data, '\n'))
	return err
}

// decodeLine decodes one line holding a single JSON-RPC message; false
// for anything else (a batch, a fragment, garbage), which the SDK judges.
// It decodes with encoding/json (the SDK's decoder allocates 64 KiB per
// message) but reads as the SDK does: object keys case-sensitively (a
// "METHOD" key is not the method), the last of duplicate keys. What the
// fast path forwards it builds from these fields, so even a message the
// two decoders read differently is relayed as it was decided.
func decodeLine(line []byte) (jsonrpc.Message, bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
		i++
	}
	if i == len(line) || line[i] != '{' {
		return nil, false
	}
	fields, ok := objectFields(line)
	if !ok {
		return nil, false
	}
	var version string
	if json.Unmarshal(fields["jsonrpc"], &version) != nil || version != "2.0" {
		return nil, false
	}
	var rawID any
	if v, ok := fields["id"]; ok && json.Unmarshal(v, &rawID) != nil {
		return nil, false
	}
	id, err := jsonrpc.MakeID(rawID)
	if err != nil {
		return nil, false
	}
	if m, ok := fields["method"]; ok {
		var method string
		if json.Unmarshal(m, &method) != nil {
			return nil, false
		}
		return &jsonrpc.Request{ID: id, Method: method, Params: fields["params"]}, true
	}
	if !id.IsValid() {
		return nil, false
	}
	resp := &jsonrpc.Response{ID: id, Result: fields["result"]}
	if e, ok := fields["error"]; ok && string(e) != "null" {
		var we jsonrpc.Error
		if json.Unmarshal(e, &we) != nil {
			return nil, false
		}
		resp.Error = &we
	}
	return resp, true
}

// objectFields decodes a JSON object into its members by exact key (the
// last of duplicates); false for anything else. JSON null is no object.
func objectFields(data []byte) (map[string]json.RawMessage, bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil || fields == nil {
		return nil, false
	}
	return fields, true
}

// stdioUpstream is the transport to an upstream server on a byte stream
// (a command's stdin and stdout): the SDK's newline-delimited transport,
// with the fast path's lane in between when fast is set.
type stdioUpstream struct {
	open func() (io.ReadCloser, io.WriteCloser, error)
	fast *fastPath
}

func (t *stdioUpstream) Connect(ctx context.Context) (mcp.Connection, error) {
	r, w, err := t.open()
	if err != nil {
		return nil, err
	}
	if t.fast == nil {
		conn, err := (&mcp.IOTransport{Reader: r, Writer: w}).Connect(ctx)
		if err != nil {
			return nil, err
		}
		return &upstreamConn{Connection: conn, sent: map[string]bool{}}, nil
	}
	f := t.fast
	lw := &lineWriter{w: w, seen: f.noteMetaLine}
	f.mu.Lock()
	f.up = lw
	f.mu.Unlock()
	take := func(line []byte) bool {
		msg, ok := decodeLine(line)
		return ok && (f.response(msg) || f.progress(msg))
	}
	ended := func(err error) {
		if err == io.EOF {
			err = errors.New("it closed its output")
		}
		f.upstreamEnded(err)
	}
	conn, err := (&mcp.IOTransport{Reader: splitLines(r, take, ended), Writer: lw}).Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &upstreamConn{Connection: conn, fast: f, sent: map[string]bool{}}, nil
}

// upstreamConn is the SDK's connection to a local upstream. It hands the
// fast path (when there is one) what the lane could not recognise as its
// own: an answer to a fast call spread over lines, or in a batch, reaches
// the client all the same. And it holds the upstream to the protocol: an
// answer to a request it was never sent would be dropped by the SDK while
// the call it was meant for waits for ever, so it ends the connection
// instead, and every call in flight gets an error. (The SDK's client has no
// connection hooks of its own to lose.)
type upstreamConn struct {
	mcp.Connection
	fast *fastPath // nil without the fast path

	mu   sync.Mutex
	sent map[string]bool // the SDK client's requests not answered yet
}

func (c *upstreamConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if req, ok := msg.(*jsonrpc.Request); ok && req.IsCall() {
		c.mu.Lock()
		c.sent[idKey(req.ID)] = true
		c.mu.Unlock()
	}
	return c.Connection.Write(ctx, msg)
}

func (c *upstreamConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	for {
		msg, err := c.Connection.Read(ctx)
		if err != nil {
			return msg, err
		}
		if c.fast != nil && (c.fast.response(msg) || c.fast.progress(msg)) {
			continue
		}
		resp, ok := msg.(*jsonrpc.Response)
		if !ok {
			return msg, nil
		}
		key := idKey(resp.ID)
		c.mu.Lock()
		known := c.sent[key]
		delete(c.sent, key)
		c.mu.Unlock()
		switch {
		case known && resp.Error == nil && !isObject(resp.Result):
			// The SDK's client reads a missing or null result as an empty
			// one: the client is told the upstream did not answer properly,
			// as the fast path tells it.
			return &jsonrpc.Response{ID: resp.ID, Error: c.noResult()}, nil
		case known:
			return msg, nil
		case isFastID(resp.ID):
			continue // a fast call that has ended already (the upstream died mid-way, say)
		default:
			err := fmt.Errorf("it answered a request it was never sent (id %v)", resp.ID.Raw())
			if c.fast != nil {
				c.fast.upstreamEnded(err) // the fast calls in flight learn why
			}
			return nil, err
		}
	}
}

// noResult is the error for an upstream answer without a result object.
func (c *upstreamConn) noResult() error {
	return &jsonrpc.Error{Code: CodeUpstream, Message: "safeclaw: the upstream MCP server answered without a result object"}
}

// isFastID reports an ID of the fast path's own ("safeclaw-N"), which the
// SDK's client never uses.
func isFastID(id jsonrpc.ID) bool {
	s, ok := id.Raw().(string)
	return ok && strings.HasPrefix(s, "safeclaw-")
}

// commandStreams starts cmd and returns its stdout and stdin. Closing the
// stdin writer ends the server as the MCP specification asks a client to:
// close its input, wait for it to exit, then SIGTERM, then SIGKILL, each
// step after terminate.
func commandStreams(cmd *exec.Cmd, terminate time.Duration) (io.ReadCloser, io.WriteCloser, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	// stdout is not closed by us: the command's exit (Wait) closes it, so
	// that the server never writes into a closed pipe.
	return io.NopCloser(stdout), &childInput{WriteCloser: stdin, cmd: cmd, terminate: terminate}, nil
}

type childInput struct {
	io.WriteCloser
	cmd       *exec.Cmd
	terminate time.Duration

	once sync.Once
	err  error
}

func (c *childInput) Close() error {
	c.once.Do(func() { c.err = c.stop() })
	return c.err
}

func (c *childInput) stop() error {
	if err := c.WriteCloser.Close(); err != nil {
		return fmt.Errorf("closing the server's stdin: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	wait := func() (error, bool) {
		select {
		case err := <-exited:
			return err, true
		case <-time.After(c.terminate):
			return nil, false
		}
	}
	if err, ok := wait(); ok {
		return err
	}
	if c.cmd.Process.Signal(syscall.SIGTERM) == nil {
		if err, ok := wait(); ok {
			return err
		}
	}
	c.cmd.Process.Kill()
	if err, ok := wait(); ok {
		return err
	}
	return errors.New("the server does not exit")
}
