// testapp is the lab's test workload: an HTTP server on :8080 and a TCP echo server on :9000.
//
//	GET  /hello       -> "hello from <HOSTNAME>\n"
//	GET  /env/<NAME>  -> the value of env var NAME (404 when unset)
//	GET  /bytes/<n>   -> n bytes, streamed
//	POST /echo        -> the request body
//	GET  /healthz     -> "ok"
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
)

func main() {
	go tcpEcho(envOr("TCP_ADDR", ":9000"))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", os.Getenv("HOSTNAME"))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /env/{name}", func(w http.ResponseWriter, r *http.Request) {
		v, ok := os.LookupEnv(r.PathValue("name"))
		if !ok {
			http.Error(w, "unset", http.StatusNotFound)
			return
		}
		io.WriteString(w, v)
	})
	mux.HandleFunc("GET /bytes/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
		if err != nil || n < 0 {
			http.Error(w, "bad length", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		chunk := []byte(strings.Repeat("kfwd-lab-bytes\n", 2185)) // 32775 bytes
		for n > 0 {
			k := min(n, int64(len(chunk)))
			if _, err := w.Write(chunk[:k]); err != nil {
				return
			}
			n -= k
		}
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		io.Copy(w, r.Body)
	})
	addr := envOr("HTTP_ADDR", ":8080")
	log.Printf("testapp: http on %s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}

func tcpEcho(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("testapp: tcp echo: %v", err)
	}
	log.Printf("testapp: tcp echo on %s", addr)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
