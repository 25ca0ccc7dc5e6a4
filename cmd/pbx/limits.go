package main

import (
	"fmt"
	"math"

	"golang.org/x/sys/unix"
)

// fdReserve is how many file descriptors SIP TCP connections leave, beyond
// one per RTP port, for everything else: the UDP listener, the database,
// HTTP clients, recordings and prompts open, connections the PBX dials.
const fdReserve = 1024

// minTCPCap is the fewest SIP TCP connections allowed however low the limit.
const minTCPCap = 64

// fileLimit is the open file limit: soft (in force) and hard (the ceiling).
type fileLimit struct {
	soft, hard uint64
}

// raiseFileLimit lifts the soft open file limit to the hard one. Go's
// runtime already does so at start-up on Linux (since Go 1.19), so this
// mostly reads the figure; it acts where the runtime did not.
func raiseFileLimit() (fileLimit, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fileLimit{}, fmt.Errorf("open file limit: %w", err)
	}
	fl := fileLimit{soft: lim.Cur, hard: lim.Max}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			return fl, fmt.Errorf("raise open file limit to %d: %w", lim.Max, err)
		}
		fl.soft = lim.Max
	}
	return fl, nil
}

// tcpCap sizes the SIP TCP connection cap to the descriptors left once
// every RTP port and the reserve have theirs. The bool is false when the
// limit is too low even for that, and the cap a quarter of it.
func tcpCap(files uint64, rtpPorts int) (int, bool) {
	if files > math.MaxInt32 {
		files = math.MaxInt32 // unlimited, in effect
	}
	n := int(files) - rtpPorts - fdReserve
	if n >= minTCPCap {
		return n, true
	}
	return max(int(files)/4, minTCPCap), false
}
