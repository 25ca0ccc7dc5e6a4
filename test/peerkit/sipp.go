package peerkit

import "testing"

// StartSipp runs sipp (the binary bin) in dir with args until the test
// ends. It reads no keyboard (-nostdin) and writes its errors to a file in
// dir (-trace_err).
func StartSipp(t *testing.T, bin, dir string, args ...string) *Peer {
	t.Helper()
	return start(t, dir, false, bin, append(args, "-nostdin", "-trace_err")...)
}
