package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsPointOneWay keeps DESIGN.md's rule true: cmd -> web ->
// {routing, billing, sip} -> {ivr -> media}, with the small shared
// packages below them; sip, routing and billing never import each other;
// only sip imports sipgo and only media the RTP, G.711 and WAV libraries;
// nothing outside test/ imports the test kit.
func TestImportsPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "pbx/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	// Packages each may import from this module, besides the shared leaves.
	leaves := []string{"pbx/configs", "pbx/invalid", "pbx/money", "pbx/refusal", "pbx/groupcommit", "pbx/store", "pbx/rawudp"}
	may := map[string][]string{
		"pbx/configs": {"pbx/money", "pbx/invalid"},
		"pbx/store":   {},
		"pbx/refusal": {},
		"pbx/media":   {"pbx/rawudp"},
		"pbx/rawudp":  {},
		"pbx/ivr":     append([]string{"pbx/media"}, leaves...),
		"pbx/sip":     append([]string{"pbx/media", "pbx/ivr"}, leaves...),
		"pbx/routing": append([]string{"pbx/media", "pbx/ivr"}, leaves...),
		"pbx/billing": leaves,
		"pbx/web":     append([]string{"pbx/sip", "pbx/routing", "pbx/billing", "pbx/media", "pbx/ivr"}, leaves...),
	}
	only := map[string]string{
		"github.com/emiago/sipgo": "pbx/sip",
		"github.com/pion/rtp":     "pbx/media",
		"github.com/zaf/g711":     "pbx/media",
		"github.com/go-audio/wav": "pbx/media",
	}
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		tool := strings.HasPrefix(pkg, "pbx/bench/") || strings.HasPrefix(pkg, "pbx/test/") || strings.HasPrefix(pkg, "pbx/cmd/")
		for _, imp := range imports {
			// test/peerkit imports testing: it must not reach the binary.
			if strings.HasPrefix(imp, "pbx/test/") && !strings.HasPrefix(pkg, "pbx/test/") {
				t.Errorf("%s imports %s: only the packages under test/ may", pkg, imp)
			}
			for lib, owner := range only {
				if (imp == lib || strings.HasPrefix(imp, lib+"/")) && pkg != owner && !tool {
					t.Errorf("%s imports %s: only %s may", pkg, imp, owner)
				}
			}
			allowed, ruled := may[pkg]
			if !ruled || !strings.HasPrefix(imp, "pbx/") {
				continue
			}
			ok := false
			for _, a := range allowed {
				ok = ok || imp == a
			}
			if !ok {
				t.Errorf("%s imports %s, against the direction of imports (DESIGN.md)", pkg, imp)
			}
		}
	}
}
