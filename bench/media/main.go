// Command media is bench/media/run.sh's helper: it writes the prompt the
// benchmark uploads, reads quantiles out of two scrapes of a Prometheus
// histogram, measures the timing of RTP streams in a tcpdump capture, and
// checks the recordings a run left.
//
//	media wav SECONDS FILE            a SECONDS-long 8 kHz 16-bit mono WAV
//	media alaw SECONDS FILE           the same signal as raw A-law, for carrier
//	media hist NAME BEFORE AFTER      count p50 p99 p99.9 le-of-max over-1ms-share, from
//	                                  the difference of histogram NAME between two scrapes
//	media rtp FILE.pcap [FROM TO]     the timing of RTP streams between FROM and TO (Unix
//	                                  ns): see rtpTiming
//	media relay FILE.pcap IP FROM TO  packets the PBX at IP sent between FROM and TO (Unix
//	                                  ns), those matched with what it received, and how long
//	                                  it held them: p50 p99 p99.9 max
//	media carrier IP FIFO ALAW SECS   a carrier's audio for the calls sipp announces on
//	                                  FIFO: see carrier
//	media sink IP BASE STEP COUNT     binds COUNT UDP ports from BASE by STEP and never
//	                                  reads them, until killed
//	media wavs DIR                    files, duration min/median/max, files with sound in
//	                                  both channels
//
// Times are printed in microseconds, shares in percent, one line of
// space-separated fields, for the script to read.
package main

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zaf/g711"
	"golang.org/x/sys/unix"

	"pbx/media"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: media wav|hist|rtp|wavs ...")
		os.Exit(2)
	}
	var err error
	switch a := os.Args[2:]; os.Args[1] {
	case "wav", "alaw":
		err = writeSignal(os.Args[1], a)
	case "hist":
		err = hist(a)
	case "rtp":
		err = rtpTiming(a)
	case "wavs":
		err = wavs(a)
	case "relay":
		err = relayDelay(a)
	case "sink":
		err = sink(a)
	case "carrier":
		err = carrier(a)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "media:", err)
		os.Exit(1)
	}
}

// writeSignal writes a speech-band signal (three tones, syllable-rate
// amplitude changes, a short pause every two seconds), so that the audio is
// never digital silence: as a WAV file, or as raw A-law.
func writeSignal(format string, a []string) error {
	if len(a) != 2 {
		return fmt.Errorf("usage: %s SECONDS FILE", format)
	}
	secs, err := strconv.Atoi(a[0])
	if err != nil || secs <= 0 {
		return fmt.Errorf("bad seconds %q", a[0])
	}
	const rate = 8000
	n := secs * rate
	pcm := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		t := float64(i) / rate
		env := 0.5 + 0.5*math.Sin(2*math.Pi*4*t)
		if math.Mod(t, 2) > 1.8 {
			env = 0
		}
		v := env * (0.5*math.Sin(2*math.Pi*300*t) + 0.3*math.Sin(2*math.Pi*700*t) + 0.2*math.Sin(2*math.Pi*1100*t))
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(v*12000)))
	}
	if format == "alaw" {
		return os.WriteFile(a[1], g711.EncodeAlaw(pcm), 0o644)
	}
	h := media.WAVHeader(rate, 1, 16, int64(len(pcm)))
	return os.WriteFile(a[1], append(h[:], pcm...), 0o644)
}

// hist prints what histogram name counted between two scrapes: count,
// p50, p99 and p99.9 (interpolated inside their bucket, as PromQL's
// histogram_quantile does), the upper bound of the highest bucket that
// gained any observation, and the share over 1 ms.
func hist(a []string) error {
	if len(a) != 3 {
		return errors.New("usage: hist NAME BEFORE AFTER")
	}
	before, err := readBuckets(a[1], a[0])
	if err != nil {
		return err
	}
	after, err := readBuckets(a[2], a[0])
	if err != nil {
		return err
	}
	var les []float64
	for le := range after {
		les = append(les, le)
	}
	sort.Float64s(les)
	if len(les) == 0 {
		return fmt.Errorf("no %s buckets in %s", a[0], a[2])
	}
	cum := make([]float64, len(les))
	for i, le := range les {
		cum[i] = after[le] - before[le]
	}
	total := cum[len(cum)-1] // the +Inf bucket
	q := func(p float64) float64 {
		if total == 0 {
			return math.NaN()
		}
		rank := p * total
		for i, c := range cum {
			if c >= rank {
				lo, below := 0.0, 0.0
				if i > 0 {
					lo, below = les[i-1], cum[i-1]
				}
				if math.IsInf(les[i], 1) {
					return lo
				}
				if c == below {
					return les[i]
				}
				return lo + (les[i]-lo)*(rank-below)/(c-below)
			}
		}
		return les[len(les)-1]
	}
	maxLE := 0.0
	for i := range cum {
		if i == 0 && cum[0] > 0 || i > 0 && cum[i] > cum[i-1] {
			maxLE = les[i]
		}
	}
	over := 0.0
	for i, le := range les {
		if le == 0.001 && total > 0 {
			over = 100 * (total - cum[i]) / total
		}
	}
	fmt.Printf("%.0f %.0f %.0f %.0f %s %.4f\n", total, q(0.5)*1e6, q(0.99)*1e6, q(0.999)*1e6, micros(maxLE), over)
	return nil
}

func micros(s float64) string {
	if math.IsInf(s, 1) {
		return "inf"
	}
	return strconv.FormatFloat(s*1e6, 'f', 0, 64)
}

// readBuckets reads the cumulative buckets of histogram name from a
// Prometheus text scrape.
func readBuckets(file, name string) (map[float64]float64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[float64]float64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	prefix := name + "_bucket{"
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		i := strings.Index(line, `le="`)
		j := strings.LastIndex(line, `"}`)
		if i < 0 || j < i {
			continue
		}
		le, err := strconv.ParseFloat(line[i+4:j], 64)
		if err != nil {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[j+2:]), 64)
		if err != nil {
			continue
		}
		out[le] += v
	}
	return out, sc.Err()
}

// rtpTiming reads a classic pcap of RTP packets (Ethernet-framed, as
// tcpdump writes on Linux's lo) and measures each stream's timing against
// its own RTP timestamps. A stream is a source port, destination port and
// SSRC; it is cut into talk-spurts at each marker bit (a new Play), and in
// each (a jump of the RTP clock also starts one: sipp replays a pcap's
// timestamps), a packet's offset is its capture time minus its RTP time; its
// lateness is that offset minus the smallest offset of the talk-spurt, so
// the least late packet of each counts as on time. The figure is relative:
// it cannot see a delay that lasts the whole talk-spurt, unless the capture
// holds the talk-spurt's first packet, which the PBX sends at its start (a
// Player that fell behind for good shows then). Only packets captured
// between from and to are counted, with two floors: the least offset of
// the whole capture (lateness), and of the packets between from and to
// only (jitter within the window). Inter-arrival deviation is the gap to
// the previous packet minus the RTP time between them. Telephone-events
// (payload types 96-127) are left out.
//
// It prints: talk-spurts, those whose first packet was captured, packets,
// seconds, lateness p50 p99 p99.9 max and share over 1 ms, the same for
// jitter within the window, inter-arrival deviation p99 and max.
func rtpTiming(a []string) error {
	if len(a) != 1 && len(a) != 3 {
		return errors.New("usage: rtp FILE.pcap [FROM-NS TO-NS]")
	}
	from, to := int64(0), int64(math.MaxInt64)
	if len(a) == 3 {
		var err1, err2 error
		from, err1 = strconv.ParseInt(a[1], 10, 64)
		to, err2 = strconv.ParseInt(a[2], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
	}
	type key struct {
		sport, dport uint16
		ssrc         uint32
	}
	type pkt struct {
		at     int64 // ns
		rtpNS  int64 // RTP timestamp, unwrapped, in ns
		marker bool
	}
	streams := map[key][]pkt{}
	type unwrap struct {
		last uint32
		base int64
		seen bool
	}
	wraps := map[key]*unwrap{}
	var first, last int64
	err := readRTP(a[0], func(p rtpPacket) {
		if p.pt >= 96 {
			return
		}
		k := key{p.sport, p.dport, p.ssrc}
		u := wraps[k]
		if u == nil {
			u = &unwrap{}
			wraps[k] = u
		}
		if u.seen && p.ts < u.last && u.last-p.ts > 1<<31 {
			u.base += 1 << 32
		}
		u.last, u.seen = p.ts, true
		if p.at >= from && p.at <= to {
			if first == 0 {
				first = p.at
			}
			last = p.at
		}
		streams[k] = append(streams[k], pkt{at: p.at, rtpNS: (u.base + int64(p.ts)) * 125000, marker: p.marker})
	})
	if err != nil {
		return err
	}
	var late, jitter, gaps []int64
	packets, anchored, spurts := 0, 0, 0
	for _, ps := range streams {
		for start := 0; start < len(ps); {
			end := start + 1
			for end < len(ps) && !ps[end].marker && ps[end].rtpNS > ps[end-1].rtpNS &&
				ps[end].rtpNS-ps[end-1].rtpNS < int64(time.Second) {
				end++
			}
			spurt := ps[start:end]
			start = end
			if len(spurt) < 10 { // too short to have a floor
				continue
			}
			floor, winFloor := int64(math.MaxInt64), int64(math.MaxInt64)
			in := false
			for _, p := range spurt {
				floor = min(floor, p.at-p.rtpNS)
				if p.at >= from && p.at <= to {
					in = true
					winFloor = min(winFloor, p.at-p.rtpNS)
				}
			}
			if !in {
				continue
			}
			spurts++
			if spurt[0].marker {
				anchored++
			}
			for i, p := range spurt {
				if p.at < from || p.at > to {
					continue
				}
				packets++
				late = append(late, p.at-p.rtpNS-floor)
				jitter = append(jitter, p.at-p.rtpNS-winFloor)
				if i > 0 {
					d := (p.at - spurt[i-1].at) - (p.rtpNS - spurt[i-1].rtpNS)
					if d < 0 {
						d = -d
					}
					gaps = append(gaps, d)
				}
			}
		}
	}
	if len(late) == 0 {
		return errors.New("no RTP stream in the capture")
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	us := func(v int64) float64 { return float64(v) / 1e3 }
	fmt.Printf("%d %d %d %.1f %s %s %.0f %.0f\n", spurts, anchored, packets, float64(last-first)/1e9,
		quantiles(late), quantiles(jitter), us(pct(gaps, 0.99)), us(gaps[len(gaps)-1]))
	return nil
}

// quantiles sorts ds and formats p50 p99 p99.9 max in microseconds and
// the share over 1 ms in percent.
func quantiles(ds []int64) string {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	over := 0
	for _, d := range ds {
		if d > int64(time.Millisecond) {
			over++
		}
	}
	us := func(v int64) float64 { return float64(v) / 1e3 }
	return fmt.Sprintf("%.0f %.0f %.0f %.0f %.4f", us(pct(ds, 0.5)), us(pct(ds, 0.99)), us(pct(ds, 0.999)), us(ds[len(ds)-1]),
		100*float64(over)/float64(len(ds)))
}

func pct(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// wavs checks the recordings under dir: how many, their durations, and how
// many have sound in both channels (of a stereo file) within their first 20
// seconds.
func wavs(a []string) error {
	if len(a) != 1 {
		return errors.New("usage: wavs DIR")
	}
	var durs []float64
	both := 0
	err := filepath.WalkDir(a[0], func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".wav") {
			return err
		}
		dur, ok, err := wavInfo(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		durs = append(durs, dur)
		if ok {
			both++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(durs) == 0 {
		fmt.Println("0 0 0 0 0")
		return nil
	}
	sort.Float64s(durs)
	fmt.Printf("%d %.1f %.1f %.1f %d\n", len(durs), durs[0], durs[len(durs)/2], durs[len(durs)-1], both)
	return nil
}

// wavInfo returns a WAV file's duration, from its data size (or, for a
// header never brought up to date, from the file size), and whether both
// channels of a stereo file carry sound in its first 20 seconds.
func wavInfo(path string) (float64, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, false, err
	}
	r := bufio.NewReader(f)
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[:4]) != "RIFF" || string(hdr[8:]) != "WAVE" {
		return 0, false, errors.New("not a WAV file")
	}
	pos := int64(12)
	var channels, bits, rate int
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return 0, false, errors.New("no data chunk")
		}
		pos += 8
		size := int64(binary.LittleEndian.Uint32(ch[4:]))
		if string(ch[:4]) == "data" {
			if size == 0 || size > st.Size()-pos {
				size = st.Size() - pos
			}
			if channels == 0 || bits == 0 || rate == 0 {
				return 0, false, errors.New("data before fmt")
			}
			frame := int64(channels * bits / 8)
			dur := float64(size/frame) / float64(rate)
			if channels != 2 || bits != 16 {
				return dur, false, nil
			}
			var e [2]float64
			n := min(size/4, int64(20*rate))
			var s [4]byte
			for i := int64(0); i < n; i++ {
				if _, err := io.ReadFull(r, s[:]); err != nil {
					break
				}
				l, rr := float64(int16(binary.LittleEndian.Uint16(s[0:]))), float64(int16(binary.LittleEndian.Uint16(s[2:])))
				e[0] += l * l
				e[1] += rr * rr
			}
			// Sound: an RMS over 100 (of 32767) on each side.
			ok := n > 0 && math.Sqrt(e[0]/float64(n)) > 100 && math.Sqrt(e[1]/float64(n)) > 100
			return dur, ok, nil
		}
		body := make([]byte, size+size%2)
		if _, err := io.ReadFull(r, body); err != nil {
			return 0, false, err
		}
		pos += int64(len(body))
		if string(ch[:4]) == "fmt " && size >= 16 {
			channels = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
		}
	}
}

// rtpPacket is what the benchmark reads of a captured RTP packet.
type rtpPacket struct {
	at           int64 // capture time, Unix ns
	src, dst     [4]byte
	sport, dport uint16
	pt           uint8
	marker       bool
	seq          uint16
	ts, ssrc     uint32
}

// readRTP calls fn with each IPv4 UDP packet of a classic pcap file that
// looks like RTP (version 2, a 12-byte header).
func readRTP(file string, fn func(rtpPacket)) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var gh [24]byte
	if _, err := io.ReadFull(r, gh[:]); err != nil {
		return fmt.Errorf("pcap header: %w", err)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	nano := false
	switch binary.LittleEndian.Uint32(gh[:]) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		nano = true
	case 0xd4c3b2a1:
		bo = binary.BigEndian
	case 0x4d3cb2a1:
		bo, nano = binary.BigEndian, true
	default:
		return errors.New("not a pcap file")
	}
	link := bo.Uint32(gh[20:])
	var rh [16]byte
	buf := make([]byte, 65536)
	for {
		if _, err := io.ReadFull(r, rh[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil
			}
			return err
		}
		sec, frac, incl := bo.Uint32(rh[0:]), bo.Uint32(rh[4:]), bo.Uint32(rh[8:])
		if incl > uint32(len(buf)) {
			return errors.New("pcap record too large")
		}
		b := buf[:incl]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil // a capture cut short
		}
		at := int64(sec)*1e9 + int64(frac)*1000
		if nano {
			at = int64(sec)*1e9 + int64(frac)
		}
		switch link {
		case 1: // Ethernet
			if len(b) < 14 || binary.BigEndian.Uint16(b[12:]) != 0x0800 {
				continue
			}
			b = b[14:]
		case 113: // Linux cooked
			if len(b) < 16 {
				continue
			}
			b = b[16:]
		case 101: // raw IP
		default:
			return fmt.Errorf("link type %d not handled", link)
		}
		if len(b) < 20 || b[0]>>4 != 4 || b[9] != 17 {
			continue
		}
		ihl := int(b[0]&0x0f) * 4
		if len(b) < ihl+8+12 {
			continue
		}
		udp := b[ihl:]
		rtp := udp[8:]
		if rtp[0]>>6 != 2 {
			continue
		}
		p := rtpPacket{at: at, sport: binary.BigEndian.Uint16(udp[0:]), dport: binary.BigEndian.Uint16(udp[2:]),
			pt: rtp[1] & 0x7f, marker: rtp[1]&0x80 != 0, seq: binary.BigEndian.Uint16(rtp[2:]),
			ts: binary.BigEndian.Uint32(rtp[4:]), ssrc: binary.BigEndian.Uint32(rtp[8:])}
		copy(p.src[:], b[12:16])
		copy(p.dst[:], b[16:20])
		fn(p)
	}
}

// relayDelay measures how long the PBX held each packet it relayed: in a
// capture of what reached it (to ip) and what it sent (from ip), each sent
// packet is matched with the last packet of the same sequence number and
// SSRC received before it on the other leg. Legs pair up by port: a call's
// two legs have ports near each other (the pool hands them out in turn);
// of the nearby received streams, the one whose matches are quickest is
// taken. It prints the packets sent between from and to (Unix ns), those
// matched, and the delay p50 p99 p99.9 max in microseconds.
func relayDelay(a []string) error {
	if len(a) != 4 {
		return errors.New("usage: relay FILE.pcap PBX-IP FROM-NS TO-NS")
	}
	ip, err := netip.ParseAddr(a[1])
	if err != nil || !ip.Is4() {
		return fmt.Errorf("bad IPv4 address %q", a[1])
	}
	pbx := ip.As4()
	from, err1 := strconv.ParseInt(a[2], 10, 64)
	to, err2 := strconv.ParseInt(a[3], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	in := map[uint16]map[[2]uint32][]int64{} // PBX port -> (ssrc, seq) -> arrival times
	out := map[uint16][]rtpPacket{}          // PBX port -> packets sent
	err = readRTP(a[0], func(p rtpPacket) {
		switch {
		case p.dst == pbx && p.src != pbx:
			m := in[p.dport]
			if m == nil {
				m = map[[2]uint32][]int64{}
				in[p.dport] = m
			}
			k := [2]uint32{p.ssrc, uint32(p.seq)}
			m[k] = append(m[k], p.at)
		case p.src == pbx && p.dst != pbx:
			out[p.sport] = append(out[p.sport], p)
		}
	})
	if err != nil {
		return err
	}
	// match returns the delays of sent's packets against leg m.
	match := func(m map[[2]uint32][]int64, sent []rtpPacket) []int64 {
		var ds []int64
		for _, p := range sent {
			if p.at < from || p.at > to {
				continue
			}
			ats := m[[2]uint32{p.ssrc, uint32(p.seq)}]
			i := sort.Search(len(ats), func(i int) bool { return ats[i] > p.at }) - 1
			if i >= 0 && p.at-ats[i] < int64(time.Second) {
				ds = append(ds, p.at-ats[i])
			}
		}
		return ds
	}
	var delays []int64
	sent := 0
	for port, ps := range out {
		for _, p := range ps {
			if p.at >= from && p.at <= to {
				sent++
			}
		}
		var best []int64
		bestMed := int64(math.MaxInt64)
		for d := -40; d <= 40; d += 2 {
			q := int(port) + d
			m := in[uint16(q)]
			if d == 0 || q < 0 || q > 65535 || m == nil {
				continue
			}
			ds := match(m, ps)
			if len(ds) < len(best)/2 || len(ds) == 0 {
				continue
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			if med := ds[len(ds)/2]; len(ds) > len(best)*2 || med < bestMed {
				best, bestMed = ds, med
			}
		}
		delays = append(delays, best...)
	}
	if len(delays) == 0 {
		return errors.New("no relayed packet matched")
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	us := func(v int64) float64 { return float64(v) / 1e3 }
	fmt.Printf("%d %d %.0f %.0f %.0f %.0f\n", sent, len(delays), us(pct(delays, 0.5)), us(pct(delays, 0.99)), us(pct(delays, 0.999)), us(delays[len(delays)-1]))
	return nil
}

// sink binds the media ports sipp advertises for its calls but does not
// open ([auto_media_port]), so that what the PBX sends them is dropped by
// the kernel once a small buffer is full, as a real network would take
// it, instead of answered by an ICMP port-unreachable per packet. Ports
// already taken (by sipp itself) are skipped.
func sink(a []string) error {
	if len(a) != 4 {
		return errors.New("usage: sink IP BASE STEP COUNT")
	}
	ip, err := netip.ParseAddr(a[0])
	if err != nil {
		return err
	}
	var n [3]int
	for i, v := range a[1:] {
		if n[i], err = strconv.Atoi(v); err != nil {
			return err
		}
	}
	var conns []*net.UDPConn
	for i := 0; i < n[2]; i++ {
		c, err := listenUnread(netip.AddrPortFrom(ip, uint16(n[0]+i*n[1])))
		if err != nil {
			continue
		}
		conns = append(conns, c)
	}
	fmt.Fprintf(os.Stderr, "sink: %d of %d ports bound\n", len(conns), n[2])
	select {}
}

// listenUnread binds a UDP socket, with a small receive buffer, that is never
// read: what reaches it past the buffer the kernel drops, as a network
// would, rather than answering each packet with an ICMP port-unreachable.
func listenUnread(ap netip.AddrPort) (*net.UDPConn, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return nil, err
	}
	_ = c.SetReadBuffer(4096)
	return c, nil
}

// carrier sends a carrier's audio for the calls sipp sets up, as real
// callers do: each call from its own port, its 20 ms packet clock started at
// a random point. sipp cannot: rtp_stream sends every call's packets from
// one socket in one burst per 20 ms, and play_pcap_audio opens a raw socket
// per call, so the kernel copies every UDP datagram delivered to the
// carrier's address to each of them, a cost no real network adds.
//
// sipp writes a line "IP:PORT" to FIFO for each answered call,
// the answer's media address; carrier sends the A-law file ALAW there in a
// loop as RTP (payload type 8, 160 bytes every 20 ms), for SECS seconds,
// from a port of its own on IP. The far end latches on to that port (the
// offer's port, sipp's [auto_media_port], is never used), and what comes
// back is left unread, as a sink.
func carrier(a []string) error {
	if len(a) != 4 {
		return errors.New("usage: carrier IP FIFO ALAW SECS")
	}
	ip, err := netip.ParseAddr(a[0])
	if err != nil {
		return err
	}
	audio, err := os.ReadFile(a[2])
	if err != nil {
		return err
	}
	if len(audio) < 160 {
		return errors.New("audio file shorter than one packet")
	}
	secs, err := strconv.Atoi(a[3])
	if err != nil {
		return err
	}
	// Read-write, so that the pipe never reads as ended between sipp's writers.
	fifo, err := os.OpenFile(a[1], os.O_RDWR, 0)
	if err != nil {
		return err
	}
	streams := make(chan *stream)
	go send(streams, audio)
	sc := bufio.NewScanner(fifo)
	for sc.Scan() {
		to, err := netip.ParseAddrPort(strings.TrimSpace(sc.Text()))
		if err != nil {
			fmt.Fprintf(os.Stderr, "carrier: %v\n", err)
			continue
		}
		c, err := listenUnread(netip.AddrPortFrom(ip, 0))
		if err != nil {
			fmt.Fprintf(os.Stderr, "carrier: %v\n", err)
			continue
		}
		streams <- newStream(c, to, secs*50)
	}
	return sc.Err()
}

// A stream is one call's audio: 20 ms packets on an absolute schedule from
// a random phase, so that a late packet does not shift the rest.
type stream struct {
	c     *net.UDPConn
	to    netip.AddrPort
	start time.Time
	i, n  int // packets sent, packets to send
	ssrc  uint32
	seq   uint16
	ts    uint32
	off   int // where in the audio the next packet's payload starts
}

const ptime = 20 * time.Millisecond

// newStream starts between 20 and 40 ms from now: after any sleep of send's
// in progress ends.
func newStream(c *net.UDPConn, to netip.AddrPort, packets int) *stream {
	return &stream{
		c: c, to: to, n: packets,
		start: time.Now().Add(ptime + time.Duration(rand.Int64N(int64(ptime)))),
		ssrc:  rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32(),
	}
}

func (s *stream) due() time.Time { return s.start.Add(time.Duration(s.i) * ptime) }

// write sends the stream's next packet, built in pkt.
func (s *stream) write(pkt, audio []byte) {
	pkt[0], pkt[1] = 0x80, 8
	if s.i == 0 {
		pkt[1] |= 0x80 // marker: the start of a talkspurt
	}
	binary.BigEndian.PutUint16(pkt[2:], s.seq+uint16(s.i))
	binary.BigEndian.PutUint32(pkt[4:], s.ts+uint32(s.i)*160)
	binary.BigEndian.PutUint32(pkt[8:], s.ssrc)
	for j := 12; j < len(pkt); j++ {
		pkt[j] = audio[s.off]
		s.off = (s.off + 1) % len(audio)
	}
	_, _ = s.c.WriteToUDPAddrPort(pkt, s.to)
}

// byDue is a heap of streams by when their next packet is due.
type byDue []*stream

func (h byDue) Len() int           { return len(h) }
func (h byDue) Less(i, j int) bool { return h[i].due().Before(h[j].due()) }
func (h byDue) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *byDue) Push(x any)        { *h = append(*h, x.(*stream)) }
func (h *byDue) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}

// send sends every stream's packets as they fall due, from one thread that
// sleeps in the kernel between ticks of a quarter of a millisecond and sends
// what fell due since. 20 ms is a whole number of ticks, so a stream's
// packets leave at the same point of their schedule each time: the ticks
// add no jitter, only the thread's wake-ups do. A goroutine per stream
// asleep in time.Sleep woke up to a millisecond late (the runtime's timers
// wait in epoll with a millisecond timeout), jitter a carrier's own
// machine would not add; a wake-up per packet cost twice the CPU.
func send(in <-chan *stream, audio []byte) {
	const tick = 250 * time.Microsecond
	runtime.LockOSThread()
	var h byDue
	pkt := make([]byte, 12+160)
	base := time.Now()
	var next time.Time // the tick being served
	for {
		if len(h) == 0 {
			heap.Push(&h, <-in)
		}
		for more := true; more; {
			select {
			case s := <-in:
				heap.Push(&h, s)
			default:
				more = false
			}
		}
		s := h[0]
		if s.due().After(next) {
			next = base.Add((s.due().Sub(base) + tick - 1) / tick * tick)
			if d := time.Until(next); d > 0 {
				ts := unix.NsecToTimespec(int64(d))
				_ = unix.Nanosleep(&ts, nil)
			}
		}
		s.write(pkt, audio)
		if s.i++; s.i < s.n {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
			s.c.Close()
		}
	}
}
