package peerkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Baresip is what differs between the tests' baresip phones; the modules
// (stdio, G.711, aufile, accounts, menu) are the same for all.
type Baresip struct {
	// Accounts are the lines of its accounts file, one per account.
	Accounts []string
	// Listen is its SIP address (sip_listen), Interface its network
	// interface (net_interface).
	Listen, Interface string
	// RTPPorts is its RTP port range ("31900-31999"); "" leaves baresip's.
	RTPPorts string
	// Player is the file what it hears is written to, Source the file it
	// sends (aufile).
	Player, Source string
}

// StartBaresip writes a config folder for b and runs baresip (the binary
// bin) on it until the test ends. Its stdio module reads commands from
// Stdin, which stays open until then.
func StartBaresip(t *testing.T, bin string, b Baresip) *Peer {
	t.Helper()
	conf := t.TempDir()
	config := []string{"sip_listen " + b.Listen, "net_interface " + b.Interface}
	if b.RTPPorts != "" {
		config = append(config, "rtp_ports "+b.RTPPorts)
	}
	config = append(config,
		"audio_player aufile,"+b.Player,
		"audio_source aufile,"+b.Source,
		"module_path /usr/lib/baresip/modules",
		"module stdio.so",
		"module g711.so",
		"module aufile.so",
		"module_app account.so",
		"module_app menu.so",
	)
	files := map[string]string{
		"accounts": strings.Join(b.Accounts, "\n") + "\n",
		"config":   strings.Join(config, "\n") + "\n",
		"contacts": "",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(conf, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return start(t, "", true, bin, "-f", conf)
}
