package peers

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The RFC 4475 torture messages name outside hosts; the server must answer
// each one on loopback and send nothing anywhere else. The test therefore
// re-runs itself inside a new network namespace that has only loopback.
const inNetNS = "PBX_TORTURE_IN_NETNS"

// tortureWant is what the PBX (a registrar and, later, a B2BUA endpoint)
// answers each message with, as its section of RFC 4475 asks: a status
// code, "drop" (no answer: the message is a response, which a server
// discards, or holds no Via and CSeq to address an answer with) or "not400"
// (valid: any answer but 400). Where the RFC leaves a choice, the comment
// says which we make.
var tortureWant = map[string]string{
	// 3.1.1: valid messages.
	"wsinv": "not400", "intmeth": "501", "esc01": "not400", "escnull": "401", "esc02": "501",
	"lwsdisp": "not400", "longreq": "not400", "dblreq": "401", "semiuri": "not400", "transports": "not400",
	"mpart01": "not400", "unreason": "drop", "noreason": "drop",
	// 3.1.2: invalid messages. trws: a liberal parser may accept trailing
	// SP, and ours does; lwsstart: it may also reject extra SP, and ours
	// does, like the embedded LWS of lwsruri.
	"badinv01": "400", "clerr": "400", "ncl": "400", "scalar02": "400", "scalarlg": "drop",
	"quotbal": "400", "ltgtruri": "400", "lwsruri": "400", "lwsstart": "400", "trws": "not400",
	"escruri": "not400", "baddate": "not400", "regbadct": "401", "badaspec": "400", "baddn": "400",
	"badvers": "505", "mismatch01": "400", "mismatch02": "501", "bigcode": "drop",
	// 3.2.1: a branch of the magic cookie alone is no transaction ID; the
	// RFC prefers a stateless 400 to RFC 2543 matching.
	"badbranch": "400",
	// 3.3: semantics.
	"insuf": "400", "unkscm": "416", "novelsc": "416", "unksm2": "400",
	"bext01": "420", "invut": "not400", "regaut01": "401", "multi01": "400", "mcl01": "400",
	"bcast": "drop", "zeromf": "not400", "cparam01": "401", "cparam02": "401", "regescrt": "401",
	"sdp01": "not400",
	// 3.4.1: RFC 2543 syntax, accepted (no branch, no From tag, no
	// Max-Forwards).
	"inv2543": "not400",
	// Not in any section; no Via or CSeq to answer with.
	"test": "drop",
}

func TestRFC4475Torture(t *testing.T) {
	if os.Getenv(inNetNS) == "" {
		need(t, "unshare", "util-linux")
		need(t, "ip", "iproute2")
		cmd := exec.Command("unshare", "--net", "sh", "-c", `ip link set lo up && exec "$0" -test.run '^TestRFC4475Torture$' -test.v`, os.Args[0])
		cmd.Env = append(os.Environ(), inNetNS+"=1", "PBX_TEST_BINARY="+pbxBinary)
		out, err := cmd.CombinedOutput()
		t.Logf("inside a loopback-only network namespace:\n%s", out)
		if err != nil {
			t.Fatalf("torture run failed (a failed assertion above, or unshare --net without root): %v", err)
		}
		return
	}

	dir := filepath.Join("testdata", "rfc4475")
	files, _ := filepath.Glob(filepath.Join(dir, "*.dat"))
	if len(files) < 49 {
		t.Fatalf("RFC 4475 messages not found in %s", dir)
	}
	p := startPBX(t, "127.0.0.1", "")
	server := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p.sipPort}
	viaPort := regexp.MustCompile(`(?im)^(?:via|v)\s*:\s*SIP\s*/\s*2\.0\s*/\s*UDP\s+[^\s;:,]+(?::(\d+))?`)
	callID := regexp.MustCompile(`(?im)^(?:call-id|i)\s*:\s*(\S+)`)
	var rows []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".dat")
		msg, _ := os.ReadFile(f)
		// Responses go to the source address and the port in the Via
		// (RFC 3261 18.2.2): listen there.
		port := 5060
		if m := viaPort.FindSubmatch(msg); m != nil && len(m[1]) > 0 {
			port, _ = strconv.Atoi(string(m[1]))
		}
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			conn, _ = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		}
		conn.WriteToUDP(msg, server)
		got, line := "drop", ""
		// multi01 has two Call-IDs: its answer may carry either.
		ids := callID.FindAllSubmatch(msg, -1)
		buf := make([]byte, 65535)
		deadline := time.Now().Add(400 * time.Millisecond)
		for {
			conn.SetReadDeadline(deadline)
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				break
			}
			if len(ids) > 0 && !slices.ContainsFunc(ids, func(id [][]byte) bool { return bytes.Contains(buf[:n], id[1]) }) {
				continue // a late answer to an earlier message
			}
			line, _, _ = strings.Cut(string(buf[:n]), "\r\n")
			got = strings.Fields(line)[1]
			break
		}
		conn.Close()

		want, known := tortureWant[name]
		if !known {
			t.Errorf("%s: no expectation", name)
		}
		ok := got == want || (want == "not400" && got != "drop" && got != "400")
		if got != "drop" && !strings.HasPrefix(line, "SIP/2.0 ") {
			ok = false // we speak SIP/2.0, whatever the request did (badvers)
		}
		rows = append(rows, fmt.Sprintf("%-11s want %-6s got %-5s %-5v %s", name, want, got, ok, line))
		if !ok {
			t.Errorf("%s: got %q, want %s", name, line, want)
		}
	}
	t.Logf("RFC 4475:\n%s", strings.Join(rows, "\n"))
}
