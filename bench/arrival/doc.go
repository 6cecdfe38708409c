// Package arrival tells when bytes reached a client's socket, rather than
// when the client's goroutine got round to reading them.
//
// A latency benchmark whose clients share the CPU with the server measures
// the clients' own scheduling delay along with the server's. On Linux the
// kernel can stamp every received packet (SO_TIMESTAMPNS) and hand the
// stamp to the reader with the data (recvmsg control messages); the stamp
// is taken as the packet enters the receiving stack, which on loopback is
// within microseconds of the sender's write. A Stamp carries that time
// next to the time the read returned, so a benchmark can report both.
//
// Conn reads one *net.TCPConn from a goroutine. Set reads many connections
// from one goroutine through one epoll instance, with raw system calls and
// no allocation per read, so that thousands of clients cost the machine
// little. Response frames an HTTP/1.1 response across reads, keeps its
// header and the stamps of its first and last bytes, and hands its body on
// as it comes; bench play's viewers read their responses through it too.
package arrival
