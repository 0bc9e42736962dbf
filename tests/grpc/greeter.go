// greeter: a gRPC server and client for weft's grpc-go groundwork (issue 15),
// built without protoc: a raw-bytes codec (content-subtype "raw") and a
// hand-written grpc.ServiceDesc with one unary method and one bidirectional
// streaming method. Builds in GOPATH mode against Debian's grpc-go sources
// (see tools/fetch-grpc.sh and doc/grpc-go-internals.md).
//
//	greeter                 server and client in one process: N unary calls
//	                        then one stream of N messages, then exit
//	greeter [-n N] [-workers W] serve ADDR   server only, until killed
//	                        (flags first; -workers: grpc.NumStreamWorkers)
//	greeter [-n N] call ADDR    client only
//
// Known by construction, per run of the client with N calls (-n, default 3):
// N RPCs /weft.Greeter/Say, 1 RPC /weft.Greeter/Chat with N messages each
// way, then 1 RPC /weft.Greeter/Relay, whose handler calls Say on its own
// server through a connection it dials and never closes (a call to itself,
// and a leaked client connection: its reader goroutine,
// transport.(*http2Client).reader, outlives the RPC). N+1 leaked goroutines
// main.leakWait: each Say handler starts one that blocks forever on a
// channel nobody closes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
)

// rawCodec passes []byte messages through unchanged
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("raw codec: %T is not *[]byte", v)
	}
	return *b, nil
}

func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: %T is not *[]byte", v)
	}
	*b = append((*b)[:0], data...)
	return nil
}

func (rawCodec) Name() string { return "raw" }

type greeter interface{}

type server struct{}

var never = make(chan struct{})

//go:noinline
func leakWait(name string) {
	<-never
	fmt.Println("unreachable", name)
}

//go:noinline
func say(in []byte) []byte {
	go leakWait(string(in))
	return append([]byte("hello "), in...)
}

func sayHandler(srv interface{}, ctx context.Context, dec func(interface{}) error, icpt grpc.UnaryServerInterceptor) (interface{}, error) {
	var in []byte
	if err := dec(&in); err != nil {
		return nil, err
	}
	out := say(in)
	return &out, nil
}

func chatHandler(srv interface{}, stream grpc.ServerStream) error {
	for {
		var in []byte
		if err := stream.RecvMsg(&in); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		out := append([]byte("echo "), in...)
		if err := stream.SendMsg(&out); err != nil {
			return err
		}
	}
}

var chatDesc = grpc.StreamDesc{
	StreamName:    "Chat",
	Handler:       chatHandler,
	ServerStreams: true,
	ClientStreams: true,
}

// the server's own address, for Relay
var selfAddr string

func relayHandler(srv interface{}, ctx context.Context, dec func(interface{}) error, icpt grpc.UnaryServerInterceptor) (interface{}, error) {
	var in []byte
	if err := dec(&in); err != nil {
		return nil, err
	}
	conn, err := dial(ctx, selfAddr) // never closed: the leak
	if err != nil {
		return nil, err
	}
	out := []byte(nil)
	if err := conn.Invoke(ctx, "/weft.Greeter/Say", &in, &out); err != nil {
		return nil, err
	}
	// a stream opened on a context nobody cancels, never finished: a call
	// left running. One message there and back first: the server's side
	// of it has begun before Relay returns.
	st, err := conn.NewStream(context.Background(), &chatDesc, "/weft.Greeter/Chat")
	if err != nil {
		return nil, err
	}
	if err := st.SendMsg(&in); err != nil {
		return nil, err
	}
	var back []byte
	if err := st.RecvMsg(&back); err != nil {
		return nil, err
	}
	return &out, nil
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: "weft.Greeter",
	HandlerType: (*greeter)(nil),
	Methods: []grpc.MethodDesc{{MethodName: "Say", Handler: sayHandler},
		{MethodName: "Relay", Handler: relayHandler}},
	Streams:  []grpc.StreamDesc{chatDesc},
	Metadata: "greeter.go",
}

// -workers: grpc.NumStreamWorkers, streams served by a pool
var workers = flag.Int("workers", 0, "stream workers (0: a goroutine per stream)")

func serve(lis net.Listener) *grpc.Server {
	selfAddr = lis.Addr().String()
	var opts []grpc.ServerOption
	if *workers > 0 {
		opts = append(opts, grpc.NumStreamWorkers(uint32(*workers)))
	}
	s := grpc.NewServer(opts...)
	s.RegisterService(&serviceDesc, server{})
	go s.Serve(lis)
	return s
}

func dial(ctx context.Context, addr string) (*grpc.ClientConn, error) {
	return grpc.DialContext(ctx, addr, grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithDefaultCallOptions(grpc.CallContentSubtype("raw")))
}

func call(addr string, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := dial(ctx, addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	for i := 0; i < n; i++ {
		in, out := []byte(fmt.Sprintf("say%d", i)), []byte(nil)
		if err := conn.Invoke(ctx, "/weft.Greeter/Say", &in, &out); err != nil {
			return err
		}
		fmt.Printf("%s\n", out)
	}
	st, err := conn.NewStream(ctx, &chatDesc, "/weft.Greeter/Chat")
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		in, out := []byte(fmt.Sprintf("chat%d", i)), []byte(nil)
		if err := st.SendMsg(&in); err != nil {
			return err
		}
		if err := st.RecvMsg(&out); err != nil {
			return err
		}
		fmt.Printf("%s\n", out)
	}
	if err := st.CloseSend(); err != nil {
		return err
	}
	var tail []byte
	if err := st.RecvMsg(&tail); err != io.EOF {
		return fmt.Errorf("chat: want EOF, got %v", err)
	}
	in, out := []byte("relay"), []byte(nil)
	if err := conn.Invoke(ctx, "/weft.Greeter/Relay", &in, &out); err != nil {
		return err
	}
	fmt.Printf("%s\n", out)
	return nil
}

func main() {
	n := flag.Int("n", 3, "unary calls, and messages on the stream")
	flag.Parse()
	encoding.RegisterCodec(rawCodec{})
	var err error
	switch flag.Arg(0) {
	case "serve":
		var lis net.Listener
		if lis, err = net.Listen("tcp", flag.Arg(1)); err == nil {
			fmt.Println("listening on", lis.Addr())
			serve(lis)
			select {}
		}
	case "call":
		err = call(flag.Arg(1), *n)
	case "":
		var lis net.Listener
		if lis, err = net.Listen("tcp", "127.0.0.1:0"); err == nil {
			s := serve(lis)
			err = call(lis.Addr().String(), *n)
			s.Stop()
		}
	default:
		err = fmt.Errorf("usage: greeter [-n N] [serve ADDR | call ADDR]")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "greeter:", err)
		os.Exit(1)
	}
}
