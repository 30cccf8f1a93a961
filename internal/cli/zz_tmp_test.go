package cli

import (
	"context"
	"bufio"
	"encoding/json"
	"net"
	"strconv"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/classify"
	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/server"
)

func tmpEnv(b *testing.B) *Env {
	dir, _ := os.MkdirTemp("", "scb")
	b.Cleanup(func() { os.RemoveAll(dir) })
	env := map[string]string{"SAFECLAW_MANAGED_POLICY": ""}
	return &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Now: time.Now,
		Getenv: func(k string) string { return env[k] }, Cwd: dir, Home: filepath.Join(dir, "home"),
		ConfigDir: filepath.Join(dir, "cfg"), StateDir: filepath.Join(dir, "st")}
}

func BenchmarkTmpPipeline(b *testing.B) {
	e := tmpEnv(b)
	decide := benchGate(b, e, false, true)
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in, _ := json.Marshal(map[string]string{"command": "git status"})
			res := classify.ToolCall(classify.Call{Tool: "Bash", Input: in, Cwd: e.Cwd})
			req := &action.Request{Parts: res.Parts, Input: res.Input, Time: time.Now()}
			decide(context.Background(), req)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}

func BenchmarkTmpClassify(b *testing.B) {
	for i := 0; i < b.N; i++ {
		in, _ := json.Marshal(map[string]string{"command": "git status"})
		classify.ToolCall(classify.Call{Tool: "Bash", Input: in, Cwd: "/tmp"})
	}
}

func BenchmarkTmpHTTP(b *testing.B) {
	e := tmpEnv(b)
	sock := filepath.Join(e.Cwd, "b.sock")
	ln, _ := server.ListenUnix(sock, nil)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.ReadAll(r.Body); w.Write([]byte("{}")) })}
	go srv.Serve(ln)
	defer srv.Close()
	c := socketClient(sock)
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Post("http://safeclaw/v1/decide", "application/json", strings.NewReader(`{"command":"git status"}`))
			if err != nil { b.Error(err); return }
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkTmpRawClient(b *testing.B) {
	for _, real := range []bool{false, true} {
		b.Run(map[bool]string{false: "trivial", true: "real"}[real], func(b *testing.B) {
			e := tmpEnv(b)
			sock := filepath.Join(e.Cwd, "b.sock")
			ln, _ := server.ListenUnix(sock, nil)
			var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.ReadAll(r.Body); w.Write([]byte("{}")) })
			if real {
				h = server.New(server.Config{Decide: benchGate(b, e, true, true), Cwd: e.Cwd, Home: e.Home})
			}
			srv := &http.Server{Handler: h}
			go srv.Serve(ln)
			defer srv.Close()
			body := `{"command":"git status"}`
			reqBytes := []byte("POST /v1/decide HTTP/1.1\r\nHost: safeclaw\r\nContent-Type: application/json\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body)
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				conn, err := net.Dial("unix", sock)
				if err != nil { b.Error(err); return }
				defer conn.Close()
				br := bufio.NewReader(conn)
				for pb.Next() {
					if _, err := conn.Write(reqBytes); err != nil { b.Error(err); return }
					resp, err := http.ReadResponse(br, nil)
					if err != nil { b.Error(err); return }
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
