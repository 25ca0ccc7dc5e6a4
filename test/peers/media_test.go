package peers

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"pbx/media"
	"pbx/test/peerkit"
)

// The tests in this file check what callers hear and what the PBX keeps:
// IVR branches taken on the keys sipp sends from the sip-tester captures,
// an announcement's audio as a carrier receives it, the two channels of a
// recorded call, the limit of a voicemail message, and a queued caller
// connected once the agent's other call ends.

// mediaCall is a call record with the media fields.
type mediaCall struct {
	callRecord
	ID               uint   `json:"id"`
	CallID           string `json:"call_id"`
	RecordingSeconds int    `json:"recording_seconds"`
	HasRecording     bool   `json:"has_recording"`
	Voicemail        bool   `json:"voicemail"`
}

func (c mediaCall) String() string {
	return fmt.Sprintf("%v{id=%d recording=%v/%ds voicemail=%v}", c.callRecord, c.ID, c.HasRecording, c.RecordingSeconds, c.Voicemail)
}

// mediaCalls waits for n call records and returns them, newest first.
func (p *pbx) mediaCalls(n int) []mediaCall {
	p.t.Helper()
	p.waitCalls(n)
	var out struct {
		Calls []mediaCall `json:"calls"`
	}
	if code := p.api("GET", "/api/v1/calls", nil, &out); code != 200 {
		p.t.Fatalf("calls: %d", code)
	}
	return out.Calls
}

// runSipp runs sipp in dir (where scenarios find their audio.pcap) with
// args, in the background, tracing its messages to <name>_messages.log.
func runSipp(t *testing.T, dir, name string, args ...string) *phone {
	t.Helper()
	sipp := need(t, "sipp", "sip-tester")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	msgs := filepath.Join(dir, name+"_messages.log")
	os.Remove(msgs)
	args = append(args, "-timeout", "40s", "-timeout_error",
		"-error_file", filepath.Join(dir, name+"_errors.log"), "-trace_msg", "-message_file", msgs)
	sp := peerkit.StartSipp(t, sipp, dir, args...)
	ph := &phone{name: name, out: sp.Out, done: sp.Done(), msgs: msgs}
	// Cleanups run last first: this one logs before the kit kills sipp.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s (sipp %s):\n%s", name, strings.Join(args, " "), tail(ph.out.String(), 15))
		}
	})
	return ph
}

// startUAS runs an agent's phone (sipp UAS scenario file) on ip:port for
// calls calls, with its RTP on mediaPort, and waits for it to bind.
func startUAS(t *testing.T, dir, name, file, ip string, port, mediaPort, calls int, extra ...string) *phone {
	t.Helper()
	args := append([]string{"-sf", scenario(file), "-i", ip, "-p", fmt.Sprint(port),
		"-mi", ip, "-mp", fmt.Sprint(mediaPort), "-m", fmt.Sprint(calls)}, extra...)
	ph := runSipp(t, dir, name, args...)
	time.Sleep(300 * time.Millisecond)
	return ph
}

// startCarrier runs one carrier call (sipp UAC scenario file) from ip:port
// to number, its RTP on mediaPort and its From user caller.
func startCarrier(t *testing.T, p *pbx, dir, name, file, number, caller, ip string, port, mediaPort int, keys ...string) *phone {
	t.Helper()
	args := []string{p.sipAddr(), "-sf", scenario(file), "-s", number, "-i", ip, "-p", fmt.Sprint(port),
		"-mi", ip, "-mp", fmt.Sprint(mediaPort), "-m", "1", "-key", "caller", caller}
	for i := 0; i+1 < len(keys); i += 2 {
		args = append(args, "-key", keys[i], keys[i+1])
	}
	return runSipp(t, dir, name, args...)
}

// sippMsg is one message of a sipp message log.
type sippMsg struct {
	at    time.Time
	sent  bool
	first string // the request or status line
}

// log reads the phone's message log.
func (ph *phone) log(t *testing.T) []sippMsg {
	t.Helper()
	var msgs []sippMsg
	var cur *sippMsg
	sc := bufio.NewScanner(strings.NewReader(ph.messages()))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "-----"):
			stamp := strings.TrimSpace(strings.TrimLeft(line, "- "))
			at, err := time.ParseInLocation("2006-01-02 15:04:05.000000", stamp, time.Local)
			if err != nil {
				t.Fatalf("%s: cannot read the time %q in its message log: %v", ph.name, stamp, err)
			}
			msgs = append(msgs, sippMsg{at: at})
			cur = &msgs[len(msgs)-1]
		case cur == nil || line == "":
		case strings.Contains(line, "message sent"), strings.Contains(line, "message received"):
			cur.sent = strings.Contains(line, "message sent")
		case cur.first == "":
			cur.first = line
		}
	}
	return msgs
}

// when returns when the phone sent (or received) the nth message (from 1)
// whose first line starts with prefix.
func (ph *phone) when(t *testing.T, sent bool, prefix string, nth int) time.Time {
	t.Helper()
	for _, m := range ph.log(t) {
		if m.sent == sent && strings.HasPrefix(m.first, prefix) {
			if nth--; nth == 0 {
				return m.at
			}
		}
	}
	verb := "received"
	if sent {
		verb = "sent"
	}
	t.Fatalf("%s never %s %q (#%d):\n%s", ph.name, verb, prefix, nth, tail(ph.messages(), 40))
	return time.Time{}
}

// tone returns d of a sine at hz, 8 kHz.
func tone(hz float64, d time.Duration, amp float64) []int16 {
	n := int(d.Seconds() * media.Rate)
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(i)/media.Rate))
	}
	return s
}

// writeRTPPcap writes what sipp's play_pcap_audio plays: an Ethernet
// capture of PCMU RTP packets, one per 20 ms, carrying pcm.
func writeRTPPcap(t *testing.T, path string, pcm []int16) {
	t.Helper()
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // Ethernet
	b.Write(hdr)
	const frame = media.FrameSamples
	for i := 0; i*frame < len(pcm); i++ {
		chunk := make([]int16, frame)
		copy(chunk, pcm[i*frame:])
		payload := make([]byte, frame)
		for j, v := range chunk {
			payload[j] = g711.EncodeUlawFrame(v)
		}
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, Marker: i == 0, PayloadType: 0,
			SequenceNumber: uint16(1000 + i), Timestamp: uint32(8000 + i*frame), SSRC: 0x5eed}, Payload: payload}
		rb, err := pkt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		udp := make([]byte, 8+len(rb))
		binary.BigEndian.PutUint16(udp[0:], 40000)
		binary.BigEndian.PutUint16(udp[2:], 40002)
		binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
		copy(udp[8:], rb)
		ip := make([]byte, 20+len(udp))
		ip[0], ip[8], ip[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
		copy(ip[12:], []byte{10, 0, 0, 1})
		copy(ip[16:], []byte{10, 0, 0, 2})
		var sum uint32
		for k := 0; k < 20; k += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[k:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		copy(ip[20:], udp)
		eth := make([]byte, 14, 14+len(ip))
		eth[12], eth[13] = 0x08, 0x00
		eth = append(eth, ip...)
		rec := make([]byte, 16)
		at := time.Duration(i) * 20 * time.Millisecond
		le.PutUint32(rec[0:], uint32(1_700_000_000+at/time.Second))
		le.PutUint32(rec[4:], uint32(at%time.Second/time.Microsecond))
		le.PutUint32(rec[8:], uint32(len(eth)))
		le.PutUint32(rec[12:], uint32(len(eth)))
		b.Write(rec)
		b.Write(eth)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// toneShare is the fraction of x's energy at hz (a multiple of 20 Hz),
// measured over 50 ms blocks: about 1 for a pure tone at hz, about 0 for
// anything else.
func toneShare(x []int16, hz float64) float64 {
	const block = media.Rate / 20
	var at, total float64
	for start := 0; start+block <= len(x); start += block {
		var s1, s2 float64
		c := 2 * math.Cos(2*math.Pi*hz/media.Rate)
		for _, v := range x[start : start+block] {
			f := float64(v)
			s1, s2 = f+c*s1-s2, s1
			total += f * f
		}
		// |X|^2 * 2/N is the energy of the sine at hz in the block.
		at += (s1*s1 + s2*s2 - c*s1*s2) * 2 / block
	}
	if total == 0 {
		return 0
	}
	return at / total
}

func rms(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	var sum float64
	for _, v := range x {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(x)))
}

// wavPCM reads a 16-bit PCM WAV file and returns its channels.
func wavPCM(t *testing.T, b []byte) (rate int, channels [][]int16) {
	t.Helper()
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("not a WAV file (%d bytes): %q", len(b), b[:min(len(b), 16)])
	}
	if size := int(binary.LittleEndian.Uint32(b[4:])); size != len(b)-8 {
		t.Fatalf("the RIFF header claims %d bytes, the file holds %d: it was not closed properly", size, len(b)-8)
	}
	var nch, bits int
	for pos := 12; pos+8 <= len(b); {
		id, n := string(b[pos:pos+4]), int(binary.LittleEndian.Uint32(b[pos+4:]))
		if pos+8+n > len(b) {
			t.Fatalf("WAV chunk %q claims %d bytes, %d are left: the file was not closed properly", id, n, len(b)-pos-8)
		}
		body := b[pos+8 : pos+8+n]
		switch id {
		case "fmt ":
			if binary.LittleEndian.Uint16(body[0:]) != 1 {
				t.Fatalf("WAV format %d, want 1 (PCM)", binary.LittleEndian.Uint16(body[0:]))
			}
			nch = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
		case "data":
			if nch == 0 || bits != 16 {
				t.Fatalf("WAV data before a 16-bit fmt chunk (channels %d, bits %d)", nch, bits)
			}
			channels = make([][]int16, nch)
			for i := 0; i+2*nch <= len(body); i += 2 * nch {
				for c := range nch {
					channels[c] = append(channels[c], int16(binary.LittleEndian.Uint16(body[i+2*c:])))
				}
			}
			return rate, channels
		}
		pos += 8 + n + n%2
	}
	t.Fatalf("WAV file without a data chunk")
	return 0, nil
}

// get fetches path from the API with extra headers and returns the answer.
func (p *pbx) get(path string, header ...string) (*http.Response, []byte) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.http+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// upload posts a file as the multipart field "file" to /api/v1/media and
// returns the status and the decoded answer.
func (p *pbx) upload(name string, data []byte) (int, map[string]any) {
	p.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", p.http+"/api/v1/media", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("upload %s: %v", name, err)
	}
	defer res.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(res.Body)
	json.Unmarshal(b, &out)
	if out == nil {
		out = map[string]any{"body": string(b)}
	}
	return res.StatusCode, out
}

// pcmWAV makes a 16-bit mono PCM WAV file of samples at rate.
func pcmWAV(rate int, samples []int16) []byte {
	h := media.WAVHeader(rate, 1, 16, int64(2*len(samples)))
	b := append(h[:], make([]byte, 2*len(samples))...)
	for i, v := range samples {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	return b
}

// rtpSink is a carrier's media socket the test owns: it keeps every RTP
// packet the PBX sends with its arrival time.
type rtpSink struct {
	conn *net.UDPConn
	mu   sync.Mutex
	pkts []heard
	done chan struct{}
}

type heard struct {
	at  time.Time
	pkt rtp.Packet
}

func listenRTP(t *testing.T, ip string, port int) *rtpSink {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	s := &rtpSink{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 1500)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			at := time.Now()
			var pkt rtp.Packet
			if pkt.Unmarshal(slices.Clone(buf[:n])) != nil {
				continue
			}
			s.mu.Lock()
			s.pkts = append(s.pkts, heard{at, pkt})
			s.mu.Unlock()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *rtpSink) close() {
	s.conn.Close()
	<-s.done
}

// packets returns what arrived so far.
func (s *rtpSink) packets() []heard {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pkts)
}

// TestIVRTakesTheBranchOfEachKey: an IVR connects every key, 0-9 and *, and
// its timeout to its own agent; each agent's phone answers 486 Busy, so the
// call record's owner says which branch ran. sipp carriers, one per key and
// all at once, send the RFC 4733 captures of sip-tester after the answer;
// one more sends nothing and takes the timeout exit no sooner than 5 s
// after the menu's prompt; one offers no telephone-event and sends 5 by SIP
// INFO. Every call is hung up by the PBX once its branch ends.
func TestIVRTakesTheBranchOfEachKey(t *testing.T) {
	const (
		pbxIP, carrierIP, phoneIP = "127.0.51.1", "127.0.51.2", "127.0.51.3"
		phonePort                 = 25300
		number                    = "+15550051001"
	)
	p := startPBX(t, pbxIP, "", "PBX_RTP_PORTS=32000-32199")
	trunk := p.carrierTrunk(carrierIP)
	p.addNumber(number, trunk)

	keys := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "timeout"}
	states := []state{{"id": "menu", "type": "ivr", "prompt": map[string]any{"text": "Press a key."}}}
	conns := []map[string]any{conn("start", "next", "menu")}
	branch := map[string]uint{} // key: the agent its branch rings
	dir := outDir(t)
	for i, k := range keys {
		ext := fmt.Sprint(7500 + i)
		branch[k] = p.createAgent(ext, "pass-"+ext)
		id := "agent-" + ext
		states = append(states, state{"id": id, "type": "transfer_user", "user_id": branch[k], "ring_seconds": 10})
		conns = append(conns, conn("menu", k, id))
		registerPhone(t, p, ext, "pass-"+ext, phoneIP, phonePort)
	}
	p.publishFlow(number, states, conns)
	calls := len(keys) + 1 // and the SIP INFO call
	busy := startUAS(t, dir, "busy-agents", "agent-busy-uas.xml", phoneIP, phonePort, 32300, calls)

	// The carrier's calls: From +1555005100N names the key each one sends.
	caller := map[string]string{}
	var carriers []*phone
	for i, k := range keys {
		caller[fmt.Sprintf("+155500510%02d", i)] = k
		name := "key-" + k
		if k == "*" {
			name = "key-star"
		}
		cdir := filepath.Join(dir, name)
		os.MkdirAll(cdir, 0o755)
		pcap := "/usr/share/sip-tester/dtmf_2833_" + strings.TrimPrefix(name, "key-") + ".pcap"
		if k == "timeout" {
			writeRTPPcap(t, filepath.Join(cdir, "audio.pcap"), make([]int16, 160)) // one packet of silence, no key
		} else {
			if _, err := os.Stat(pcap); err != nil {
				t.Fatalf("%s is missing (Debian package sip-tester)", pcap)
			}
			os.Remove(filepath.Join(cdir, "audio.pcap"))
			os.Symlink(pcap, filepath.Join(cdir, "audio.pcap"))
		}
		carriers = append(carriers, startCarrier(t, p, cdir, "carrier", "carrier-play-uac.xml", number,
			fmt.Sprintf("+155500510%02d", i), carrierIP, 25310+i, 32400+10*i))
	}
	caller["+15550051099"] = "INFO 5"
	info := startCarrier(t, p, filepath.Join(dir, "info"), "carrier", "carrier-info-uac.xml", number,
		"+15550051099", carrierIP, 25399, 32390)

	for _, c := range carriers {
		c.finished(t, 30*time.Second)
	}
	info.finished(t, 10*time.Second)
	busy.finished(t, 5*time.Second)

	timeout := carriers[len(carriers)-1]
	if waited := timeout.when(t, false, "BYE", 1).Sub(timeout.when(t, false, "SIP/2.0 200", 1)); waited < 5*time.Second {
		t.Errorf("the call with no key was hung up %s after the answer; the menu waits 5 s after its prompt", waited)
	}
	// Each capture carries its key in several packets, the last one thrice;
	// the PBX counts every press once.
	if n, i := p.metric(`pbx_dtmf_keys_total{method="rfc4733"}`), p.metric(`pbx_dtmf_keys_total{method="info"}`); n != "11" || i != "1" {
		t.Errorf("the PBX counted %s RFC 4733 keys and %s SIP INFO keys; 11 and 1 were pressed", n, i)
	}
	for _, c := range p.mediaCalls(calls) {
		k, ok := caller[c.From]
		want := branch[strings.TrimPrefix(k, "INFO ")]
		if !ok || owner(c.callRecord) != want || c.SIPCode != 200 || c.HangupCause != "busy" {
			t.Errorf("call from %s (key %s): record %v; want the branch that rings user %d, answered by the PBX, ended busy", c.From, k, c, want)
		}
	}
}

// TestAnnouncementAudioReachesTheCaller: an announce state plays an
// uploaded 16 kHz WAV (a chirp) on one number, and text read aloud by
// espeak-ng on another. The carrier's SDP points at a socket of the test,
// which checks the RTP the PBX sends (one SSRC, consecutive sequence
// numbers, timestamps 160 apart, the marker on the first packet, 20 ms
// apart as they arrive) and that the decoded audio matches the prompt's
// 8 kHz samples: the WAV decoded here, or what espeak-ng says here with the
// PBX's default voice and speed. The PBX hangs up when the announcement is
// over.
func TestAnnouncementAudioReachesTheCaller(t *testing.T) {
	const pbxIP, carrierIP = "127.0.52.1", "127.0.52.2"
	p := startPBX(t, pbxIP, "", "PBX_RTP_PORTS=32800-32999")
	trunk := p.carrierTrunk(carrierIP)

	// A 1.2 s chirp from 300 to 3000 Hz at 16 kHz, with 10 ms ramps: no
	// two stretches of it look alike, so a wrong lag cannot correlate.
	const rate, dur = 16000, 1.2
	chirp := make([]int16, int(rate*dur))
	for i := range chirp {
		tt := float64(i) / rate
		env := min(1, tt/0.01, (dur-tt)/0.01)
		chirp[i] = int16(12000 * env * math.Sin(2*math.Pi*(300*tt+(3000-300)/(2*dur)*tt*tt)))
	}
	wav := pcmWAV(rate, chirp)
	code, file := p.upload("chirp.wav", wav)
	if code != 201 {
		t.Fatalf("upload: %d %v", code, file)
	}
	chirpClip, _, err := media.DecodeWAV(bytes.NewReader(wav))
	if err != nil {
		t.Fatal(err)
	}

	const text = "Thank you for calling. All our lines are open."
	espeak := need(t, "espeak-ng", "espeak-ng")
	cmd := exec.Command(espeak, "-v", "en-us", "-s", "160", "--stdout")
	cmd.Stdin = strings.NewReader(text)
	said, err := cmd.Output()
	if err != nil {
		t.Fatalf("espeak-ng: %v", err)
	}
	speech, _, err := media.DecodeWAV(bytes.NewReader(said))
	if err != nil {
		t.Fatalf("espeak-ng's WAV: %v", err)
	}

	for i, tc := range []struct {
		name   string
		prompt map[string]any
		want   *media.Clip
	}{
		{"uploaded WAV", map[string]any{"file_id": file["id"]}, chirpClip},
		{"text read aloud", map[string]any{"text": text}, speech},
	} {
		t.Run(tc.name, func(t *testing.T) {
			number := fmt.Sprintf("+155500520%02d", i+1)
			p.addNumber(number, trunk)
			p.publishFlow(number,
				[]state{{"id": "hello", "type": "announce", "prompt": tc.prompt}},
				[]map[string]any{conn("start", "next", "hello")})
			rtpPort := 32600 + 20*i
			sink := listenRTP(t, carrierIP, rtpPort)
			carrier := startCarrier(t, p, outDir(t), "carrier", "carrier-listen-uac.xml", number, "+15550052099",
				carrierIP, 25500+i, rtpPort+10, "rtp_ip", carrierIP, "rtp_port", fmt.Sprint(rtpPort))
			carrier.finished(t, 20*time.Second)
			time.Sleep(100 * time.Millisecond)
			sink.close()
			checkPrompt(t, tc.want, sink.packets())
		})
	}
}

// checkPrompt checks that packets carry want, paced and numbered as one
// RTP stream.
func checkPrompt(t *testing.T, want *media.Clip, packets []heard) {
	t.Helper()
	var audio []heard
	for _, h := range packets {
		if h.pkt.PayloadType == 0 {
			audio = append(audio, h)
		}
	}
	frames := want.Len() / media.FrameSamples
	if len(audio) < frames || len(audio) > frames+2 {
		t.Fatalf("the carrier heard %d PCMU packets; the %s prompt is %d", len(audio), want.Duration(), frames)
	}
	var pcm []int16
	var gaps []time.Duration
	for i, h := range audio {
		if i == 0 {
			if !h.pkt.Marker {
				t.Errorf("the first packet has no marker bit")
			}
		} else {
			prev := audio[i-1].pkt
			if h.pkt.SSRC != prev.SSRC || h.pkt.SequenceNumber != prev.SequenceNumber+1 ||
				h.pkt.Timestamp != prev.Timestamp+media.FrameSamples || h.pkt.Marker {
				t.Fatalf("packet %d: ssrc %x seq %d ts %d marker %v after ssrc %x seq %d ts %d",
					i, h.pkt.SSRC, h.pkt.SequenceNumber, h.pkt.Timestamp, h.pkt.Marker, prev.SSRC, prev.SequenceNumber, prev.Timestamp)
			}
			gaps = append(gaps, h.at.Sub(audio[i-1].at))
		}
		if len(h.pkt.Payload) != media.FrameSamples {
			t.Fatalf("packet %d carries %d bytes, want 160 (20 ms)", i, len(h.pkt.Payload))
		}
		for _, b := range h.pkt.Payload {
			pcm = append(pcm, g711.DecodeUlawFrame(b))
		}
	}
	slices.Sort(gaps)
	span := audio[len(audio)-1].at.Sub(audio[0].at)
	ideal := time.Duration(len(audio)-1) * 20 * time.Millisecond
	if med := gaps[len(gaps)/2]; med < 18*time.Millisecond || med > 22*time.Millisecond || span < ideal*9/10 || span > ideal*11/10 {
		t.Errorf("packets arrived %s apart (median) over %s; want 20 ms apart over %s", med, span, ideal)
	}

	best, lag := bestCorrelation(want.PCM(), pcm, 400)
	t.Logf("%d packets, median gap %s, correlation %.3f at lag %d samples", len(audio), gaps[len(gaps)/2], best, lag)
	if best < 0.9 {
		t.Errorf("the audio heard correlates %.3f (best, at lag %d) with the prompt's; want at least 0.9", best, lag)
	}
}

// bestCorrelation slides got over want by -maxLag..maxLag+len(got)-len(want)
// samples and returns the best normalised cross-correlation and its lag.
func bestCorrelation(want, got []int16, maxLag int) (float64, int) {
	best, bestLag := -1.0, 0
	for lag := -maxLag; lag <= maxLag+max(0, len(got)-len(want)); lag++ {
		var xy, xx, yy float64
		for i, w := range want {
			j := i + lag
			if j < 0 || j >= len(got) {
				continue
			}
			x, y := float64(w), float64(got[j])
			xy += x * y
			xx += x * x
			yy += y * y
		}
		if xx == 0 || yy == 0 {
			continue
		}
		if c := xy / math.Sqrt(xx*yy); c > best {
			best, bestLag = c, lag
		}
	}
	return best, bestLag
}

// TestRecordedCallKeepsEachPartyInItsChannel: a transfer with "record"
// connects a carrier (sipp, a 600 Hz tone) to an agent (sipp, a 1400 Hz
// tone). The record says how long the recording is; the recording is a
// stereo 8 kHz 16-bit WAV with the caller's tone on the left and the
// agent's on the right, each without the other's; it can be fetched by
// byte range.
func TestRecordedCallKeepsEachPartyInItsChannel(t *testing.T) {
	const (
		pbxIP, carrierIP, phoneIP = "127.0.53.1", "127.0.53.2", "127.0.53.3"
		number                    = "+15550053001"
		callerHz, agentHz         = 600, 1400
	)
	p := startPBX(t, pbxIP, "", "PBX_RTP_PORTS=33000-33199")
	trunk := p.carrierTrunk(carrierIP)
	p.addNumber(number, trunk)
	agent := p.createAgent("7601", "pass-7601")
	p.publishFlow(number,
		[]state{{"id": "agent", "type": "transfer_user", "user_id": agent, "ring_seconds": 10, "record": true}},
		[]map[string]any{conn("start", "next", "agent")})

	dir := outDir(t)
	agentDir, carrierDir := filepath.Join(dir, "agent"), filepath.Join(dir, "carrier")
	os.MkdirAll(agentDir, 0o755)
	os.MkdirAll(carrierDir, 0o755)
	writeRTPPcap(t, filepath.Join(agentDir, "audio.pcap"), tone(agentHz, 6*time.Second, 8000))
	writeRTPPcap(t, filepath.Join(carrierDir, "audio.pcap"), tone(callerHz, 6*time.Second, 8000))
	registerPhone(t, p, "7601", "pass-7601", phoneIP, 25600)
	phone := startUAS(t, agentDir, "agent", "agent-talk-uas.xml", phoneIP, 25600, 33300, 1)

	carrier := startCarrier(t, p, carrierDir, "carrier", "carrier-talk-uac.xml", number, "+15550053099",
		carrierIP, 25601, 33310)
	carrier.finished(t, 20*time.Second)
	phone.finished(t, 5*time.Second)
	talked := carrier.when(t, true, "BYE", 1).Sub(carrier.when(t, false, "SIP/2.0 200", 1))

	c := p.mediaCalls(1)[0]
	if owner(c.callRecord) != agent || c.Type != "incoming" || !c.HasRecording ||
		math.Abs(float64(c.RecordingSeconds)-talked.Seconds()) > 1 {
		t.Fatalf("call record %v; want answered by user %d with a recording of about %s", c, agent, talked.Round(time.Second))
	}
	res, wav := p.get(fmt.Sprintf("/api/v1/calls/%d/recording", c.ID))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("recording: %d %s %q", res.StatusCode, res.Header.Get("Content-Type"), wav[:min(len(wav), 200)])
	}
	rate, ch := wavPCM(t, wav)
	if rate != 8000 || len(ch) != 2 {
		t.Fatalf("recording: %d Hz, %d channels; want 8000 Hz stereo", rate, len(ch))
	}
	if secs := float64(len(ch[0])) / 8000; math.Abs(secs-talked.Seconds()) > 1 {
		t.Errorf("the recording holds %.1f s; the call lasted %s", secs, talked)
	}
	left, right := ch[0], ch[1]
	t.Logf("left: rms %.0f, %.2f at %d Hz, %.3f at %d Hz; right: rms %.0f, %.2f at %d Hz, %.3f at %d Hz",
		rms(left), toneShare(left, callerHz), callerHz, toneShare(left, agentHz), agentHz,
		rms(right), toneShare(right, agentHz), agentHz, toneShare(right, callerHz), callerHz)
	if rms(left) < 1000 || toneShare(left, callerHz) < 0.8 || toneShare(left, agentHz) > 0.02 {
		t.Errorf("the left channel does not hold the caller's %d Hz tone alone", callerHz)
	}
	if rms(right) < 1000 || toneShare(right, agentHz) < 0.8 || toneShare(right, callerHz) > 0.02 {
		t.Errorf("the right channel does not hold the agent's %d Hz tone alone", agentHz)
	}

	res, part := p.get(fmt.Sprintf("/api/v1/calls/%d/recording", c.ID), "Range", "bytes=0-43")
	if res.StatusCode != 206 || len(part) != 44 || !bytes.Equal(part, wav[:44]) ||
		res.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-43/%d", len(wav)) {
		t.Errorf("a Range request got %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Range"), len(part))
	}
}

// TestVoicemailStopsAtItsLimit: a voicemail state of at most 3 s; the
// carrier (sipp) plays a 20 s tone and does not hang up. The PBX hangs up
// after the prompt, the beep and 3 s of message; the record is a voicemail
// with a recording of about 3 s, a mono WAV holding the caller's tone.
func TestVoicemailStopsAtItsLimit(t *testing.T) {
	const (
		pbxIP, carrierIP = "127.0.54.1", "127.0.54.2"
		number           = "+15550054001"
		callerHz         = 800
	)
	p := startPBX(t, pbxIP, "", "PBX_RTP_PORTS=33400-33599")
	trunk := p.carrierTrunk(carrierIP)
	p.addNumber(number, trunk)
	p.publishFlow(number,
		[]state{{"id": "vm", "type": "voicemail", "prompt": map[string]any{"text": "Leave a message."}, "max_seconds": 3}},
		[]map[string]any{conn("start", "next", "vm")})

	dir := outDir(t)
	writeRTPPcap(t, filepath.Join(dir, "audio.pcap"), tone(callerHz, 20*time.Second, 8000))
	carrier := startCarrier(t, p, dir, "carrier", "carrier-play-uac.xml", number, "+15550054099", carrierIP, 25700, 33700)
	carrier.finished(t, 25*time.Second)
	// The message may take 3 s after the prompt and the half-second beep;
	// a short spoken prompt takes a few seconds more at most. Without the
	// limit the call would go on for the 20 s of the tone.
	held := carrier.when(t, false, "BYE", 1).Sub(carrier.when(t, false, "SIP/2.0 200", 1))
	if held < 3500*time.Millisecond || held > 9*time.Second {
		t.Errorf("the PBX hung up %s after answering; want the prompt, the beep and 3 s", held)
	}

	c := p.mediaCalls(1)[0]
	if !c.Voicemail || !c.HasRecording || c.RecordingSeconds < 2 || c.RecordingSeconds > 4 || c.SIPCode != 200 {
		t.Fatalf("call record %v; want a voicemail with a recording of 2-4 s", c)
	}
	res, wav := p.get(fmt.Sprintf("/api/v1/calls/%d/recording", c.ID))
	if res.StatusCode != 200 {
		t.Fatalf("recording: %d %q", res.StatusCode, wav[:min(len(wav), 200)])
	}
	rate, ch := wavPCM(t, wav)
	if rate != 8000 || len(ch) != 1 {
		t.Fatalf("voicemail: %d Hz, %d channels; want 8000 Hz mono", rate, len(ch))
	}
	msg := ch[0]
	t.Logf("message: %.1f s, rms %.0f, %.2f at %d Hz", float64(len(msg))/8000, rms(msg), toneShare(msg, callerHz), callerHz)
	if secs := float64(len(msg)) / 8000; secs < 2 || secs > 4 {
		t.Errorf("the message holds %.1f s; the limit is 3 s", secs)
	}
	if rms(msg) < 1000 || toneShare(msg, callerHz) < 0.8 {
		t.Errorf("the message does not hold the caller's %d Hz tone", callerHz)
	}
}

// TestQueuedCallerIsConnectedWhenTheAgentIsFree: a transfer to one agent
// with a queue of one caller. The agent (sipp) answers each call, plays a tone and
// hangs up 4 s later. A second carrier call arriving meanwhile is answered by the PBX,
// hears the notification and music, and rings the agent as soon as the
// first call ends; both records belong to the agent, and the state's
// recordings, closed when the agent hung up, hold the bridged 4 s. A third
// call, finding the queue full, is refused 486 Busy Here.
func TestQueuedCallerIsConnectedWhenTheAgentIsFree(t *testing.T) {
	const (
		pbxIP, carrierIP, phoneIP = "127.0.55.1", "127.0.55.2", "127.0.55.3"
		number                    = "+15550055001"
	)
	p := startPBX(t, pbxIP, "", "PBX_RTP_PORTS=33800-33999")
	trunk := p.carrierTrunk(carrierIP)
	p.addNumber(number, trunk)
	agent := p.createAgent("7701", "pass-7701")
	p.publishFlow(number,
		[]state{{"id": "agent", "type": "transfer_user", "user_id": agent, "ring_seconds": 10,
			"record": true, "queue": map[string]any{"max_calls": 1, "notify": map[string]any{"text": "Please hold."}, "music_repeat": 0}}},
		[]map[string]any{conn("start", "next", "agent")})

	dir := outDir(t)
	registerPhone(t, p, "7701", "pass-7701", phoneIP, 25800)
	writeRTPPcap(t, filepath.Join(dir, "audio.pcap"), tone(1000, 6*time.Second, 8000))
	phone := startUAS(t, dir, "agent", "agent-hangup-uas.xml", phoneIP, 25800, 34100, 2)

	first := listenRTP(t, carrierIP, 34200)
	second := listenRTP(t, carrierIP, 34210)
	call1 := startCarrier(t, p, filepath.Join(dir, "first"), "carrier", "carrier-listen-uac.xml", number, "+15550055011",
		carrierIP, 25801, 34220, "rtp_ip", carrierIP, "rtp_port", "34200")
	waitFor(t, "the agent to answer the first call", 5*time.Second, func() bool {
		return strings.Contains(phone.messages(), "ACK sip:")
	})
	call2 := startCarrier(t, p, filepath.Join(dir, "second"), "carrier", "carrier-listen-uac.xml", number, "+15550055012",
		carrierIP, 25802, 34230, "rtp_ip", carrierIP, "rtp_port", "34210")
	waitFor(t, "the PBX to answer the second call", 5*time.Second, func() bool {
		return strings.Contains(call2.messages(), "SIP/2.0 200 OK")
	})
	// The queue holds one caller: a third is refused with the busy exit,
	// which leads nowhere.
	call3 := startCarrier(t, p, filepath.Join(dir, "third"), "carrier", "carrier-busy-uac.xml", number, "+15550055013",
		carrierIP, 25803, 34240)
	call3.finished(t, 5*time.Second)
	call1.finished(t, 15*time.Second)
	call2.finished(t, 20*time.Second)
	phone.finished(t, 5*time.Second)

	ended1 := phone.when(t, true, "BYE", 1)
	rang2 := phone.when(t, false, "INVITE", 2)
	answered2 := call2.when(t, false, "SIP/2.0 200", 1)
	if !answered2.Before(ended1) {
		t.Errorf("the queued call was answered at %s, after the first call ended at %s", answered2.Format(time.StampMicro), ended1.Format(time.StampMicro))
	}
	if wait := rang2.Sub(ended1); wait < 0 || wait > 1500*time.Millisecond {
		t.Errorf("the agent was rung for the queued call %s after the first call ended; want at once", wait)
	}
	// While queued the caller hears the notification and music; once
	// connected, the agent's 1 kHz tone.
	var queuedPCM, connectedPCM []int16
	for _, h := range second.packets() {
		if h.pkt.PayloadType != 0 {
			continue
		}
		for _, b := range h.pkt.Payload {
			switch {
			case h.at.Before(ended1):
				queuedPCM = append(queuedPCM, g711.DecodeUlawFrame(b))
			case h.at.After(rang2.Add(500 * time.Millisecond)):
				connectedPCM = append(connectedPCM, g711.DecodeUlawFrame(b))
			}
		}
	}
	held := len(queuedPCM) / media.FrameSamples
	if queued := ended1.Sub(answered2); held < int(queued/(20*time.Millisecond))/2 || rms(queuedPCM) < 100 {
		t.Errorf("the queued caller heard %d packets (rms %.0f) in the %s it waited", held, rms(queuedPCM), queued)
	}
	if len(connectedPCM) < media.Rate || toneShare(connectedPCM, 1000) < 0.8 {
		t.Errorf("once connected, the queued caller heard %d samples, %.2f of them the agent's 1 kHz tone", len(connectedPCM), toneShare(connectedPCM, 1000))
	}
	t.Logf("queued for %s, heard %d packets (rms %.0f); the agent rang %s after the first call ended; then %.2f of 1 kHz; first caller heard %d packets",
		ended1.Sub(answered2), held, rms(queuedPCM), rang2.Sub(ended1), toneShare(connectedPCM, 1000), len(first.packets()))

	// The agent hung up each call after 4 s: each recording was closed
	// then, holding the 4 s of the bridged call and not the queue's wait.
	for _, c := range p.mediaCalls(3) {
		if c.From == "+15550055013" {
			if c.Type != "missed" || c.SIPCode != 486 || c.HangupCause != "busy" || c.HasRecording {
				t.Errorf("record of the call the full queue refused: %v", c)
			}
			continue
		}
		if owner(c.callRecord) != agent || c.Type != "incoming" || c.SIPCode != 200 || c.HangupCause != "callee hung up" ||
			!c.HasRecording || c.RecordingSeconds < 3 || c.RecordingSeconds > 5 {
			t.Errorf("call record %v; want answered by user %d and a recording of about 4 s", c, agent)
			continue
		}
		_, wav := p.get(fmt.Sprintf("/api/v1/calls/%d/recording", c.ID))
		if rate, ch := wavPCM(t, wav); rate != 8000 || len(ch) != 2 || math.Abs(float64(len(ch[0]))/8000-4) > 1 {
			t.Errorf("call %d: recording of %d Hz, %d channels, %d frames; want 4 s of 8 kHz stereo", c.ID, rate, len(ch), len(ch[0]))
		}
	}
}

// TestBadWAVUploadIsRefused: the media API refuses what calls cannot play,
// a 24-bit WAV or bytes that are no WAV at all, with 422 naming the field
// "file".
func TestBadWAVUploadIsRefused(t *testing.T) {
	p := startPBX(t, "127.0.56.1", "", "PBX_RTP_PORTS=34400-34499")
	deep := pcmWAV(8000, tone(440, time.Second, 8000))
	binary.LittleEndian.PutUint16(deep[34:], 24) // claims 24-bit samples
	binary.LittleEndian.PutUint16(deep[32:], 3)
	binary.LittleEndian.PutUint32(deep[28:], 8000*3)
	for name, data := range map[string][]byte{"deep.wav": deep, "noise.wav": bytes.Repeat([]byte{0x17, 0x42, 0x99}, 500)} {
		code, body := p.upload(name, data)
		fields, _ := json.Marshal(body["errors"])
		if code != 422 || !strings.Contains(string(fields), `"field":"file"`) {
			t.Errorf("%s: %d %v; want 422 naming the field file", name, code, body)
		}
		t.Logf("%s: %d %s", name, code, fields)
	}
}

// TestHeldCallerHearsMusic: the agent (sipp, a 1 kHz tone) puts the call
// on hold with a sendonly re-INVITE and resumes it 2.5 s later. Meanwhile
// the carrier hears the PBX's hold music (it correlates with the built-in
// music) instead of the agent; before and after, the agent's tone.
func TestHeldCallerHearsMusic(t *testing.T) {
	const (
		pbxIP, carrierIP, phoneIP = "127.0.57.1", "127.0.57.2", "127.0.57.3"
		number                    = "+15550057001"
		rtpPort                   = 34600
	)
	p := startPBX(t, pbxIP, "", "PBX_RTP_PORTS=34700-34899")
	trunk := p.carrierTrunk(carrierIP)
	p.addNumber(number, trunk)
	agent := p.createAgent("7801", "pass-7801")
	p.publishFlow(number,
		[]state{{"id": "agent", "type": "transfer_user", "user_id": agent, "ring_seconds": 10}},
		[]map[string]any{conn("start", "next", "agent")})

	dir := outDir(t)
	writeRTPPcap(t, filepath.Join(dir, "audio.pcap"), tone(1000, 8*time.Second, 8000))
	registerPhone(t, p, "7801", "pass-7801", phoneIP, 25900)
	phone := startUAS(t, dir, "agent", "agent-hold-uas.xml", phoneIP, 25900, 34500, 1)
	sink := listenRTP(t, carrierIP, rtpPort)
	carrier := startCarrier(t, p, filepath.Join(dir, "carrier"), "carrier", "carrier-listen-uac.xml", number, "+15550057099",
		carrierIP, 25901, 34610, "rtp_ip", carrierIP, "rtp_port", fmt.Sprint(rtpPort))
	carrier.finished(t, 20*time.Second)
	phone.finished(t, 5*time.Second)

	answered := phone.when(t, false, "ACK", 1)
	held := phone.when(t, false, "SIP/2.0 200", 1)
	resumed := phone.when(t, false, "SIP/2.0 200", 2)
	ended := phone.when(t, true, "BYE", 1)
	// The audio of each stretch, leaving its first 300 ms to the change.
	stretch := func(from, to time.Time) []int16 {
		var pcm []int16
		for _, h := range sink.packets() {
			if h.pkt.PayloadType == 0 && h.at.After(from.Add(300*time.Millisecond)) && h.at.Before(to) {
				for _, b := range h.pkt.Payload {
					pcm = append(pcm, g711.DecodeUlawFrame(b))
				}
			}
		}
		return pcm
	}
	before, during, after := stretch(answered, held), stretch(held, resumed), stretch(resumed, ended)
	t.Logf("1 kHz share: %.2f before the hold, %.2f during, %.2f after",
		toneShare(before, 1000), toneShare(during, 1000), toneShare(after, 1000))
	if len(before) < media.Rate/2 || toneShare(before, 1000) < 0.8 {
		t.Errorf("before the hold the caller heard %d samples, %.2f of them the agent's tone", len(before), toneShare(before, 1000))
	}
	// The music starts over at each hold: the first second heard matches
	// the start of the PBX's built-in hold music.
	music := media.HoldMusic().PCM()
	if len(during) < 2*media.Rate {
		t.Fatalf("on hold the caller heard %d samples", len(during))
	}
	corr, lag := bestCorrelation(during[:media.Rate], music[:2*media.Rate], 0)
	t.Logf("on hold: correlation %.3f with the hold music, %.2f s into it", corr, float64(lag)/media.Rate)
	if corr < 0.9 || toneShare(during, 1000) > 0.2 {
		t.Errorf("on hold the caller heard audio correlating %.3f with the hold music (%.2f of it the agent's tone); want the music", corr, toneShare(during, 1000))
	}
	if len(after) < media.Rate/2 || toneShare(after, 1000) < 0.8 {
		t.Errorf("after the hold the caller heard %d samples, %.2f of them the agent's tone", len(after), toneShare(after, 1000))
	}
	if c := p.mediaCalls(1)[0]; owner(c.callRecord) != agent || c.HangupCause != "callee hung up" {
		t.Errorf("call record %v; want answered by user %d", c, agent)
	}
}
