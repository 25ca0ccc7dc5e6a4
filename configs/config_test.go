package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultsNeedNothing(t *testing.T) {
	cfg, err := Load("", nil)
	if err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if cfg.SIP.Addr != "0.0.0.0:5060" || cfg.HTTP.Addr != "0.0.0.0:8080" || cfg.DB != filepath.Join("data", "pbx.db") || cfg.RTPPorts != "10000-20000" {
		t.Fatalf("defaults differ from the documented contract: %+v", cfg)
	}
}

func TestFileThenEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.yaml")
	yaml := "data_dir: /var/lib/pbx\nsip:\n  addr: 127.0.0.1:5070\n  nonce_ttl: 2m\n  registrar:\n    min_expires: 30\nhttp:\n  addr: 127.0.0.1:8081\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, []string{"PBX_HTTP_ADDR=127.0.0.1:9000", "PBX_DB=postgres://u:p@localhost/pbx", "PBX_GUARD_BLOCK_FOR=1h", "PBX_TTS_VOICE=de", "PBX_HOLD_MUSIC=/srv/music.wav"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SIP.Addr != "127.0.0.1:5070" || cfg.SIP.NonceTTL != 2*time.Minute || cfg.SIP.Registrar.MinExpires != 30 {
		t.Errorf("file settings not applied: %+v", cfg.SIP)
	}
	if cfg.HTTP.Addr != "127.0.0.1:9000" || cfg.DB != "postgres://u:p@localhost/pbx" || cfg.SIP.Guard.BlockFor != time.Hour {
		t.Errorf("environment did not override: http=%s db=%s block=%s", cfg.HTTP.Addr, cfg.DB, cfg.SIP.Guard.BlockFor)
	}
	if cfg.Media.TTSVoice != "de" || cfg.Media.HoldMusic != "/srv/music.wav" || cfg.Media.TTSSpeed != 160 {
		t.Errorf("media settings: %+v", cfg.Media)
	}
	if cfg.SIP.Registrar.MaxExpires != 3600 {
		t.Errorf("unset file keys lost their defaults: %+v", cfg.SIP.Registrar)
	}
}

func TestBadSettingsAreNamed(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"sip addr", []string{"PBX_SIP_ADDR=nope"}, "PBX_SIP_ADDR"},
		{"rtp range", []string{"PBX_RTP_PORTS=20000-10000"}, "PBX_RTP_PORTS"},
		{"public ip", []string{"PBX_PUBLIC_IP=example"}, "PBX_PUBLIC_IP"},
		{"expires order", []string{"PBX_REGISTRAR_MIN_EXPIRES=4000"}, "min_expires"},
		{"log level", []string{"PBX_LOG_LEVEL=loud"}, "PBX_LOG_LEVEL"},
		{"duration", []string{"PBX_SIP_NONCE_TTL=soon"}, "PBX_SIP_NONCE_TTL"},
		{"tts speed", []string{"PBX_TTS_SPEED=500"}, "PBX_TTS_SPEED"},
		{"tts voice", []string{"PBX_TTS_VOICE=en us"}, "PBX_TTS_VOICE"},
		{"url timeout", []string{"PBX_MEDIA_URL_TIMEOUT=0s"}, "PBX_MEDIA_URL_TIMEOUT"},
		{"url max bytes", []string{"PBX_MEDIA_URL_MAX_BYTES=lots"}, "PBX_MEDIA_URL_MAX_BYTES"},
		{"hold music", []string{"PBX_HOLD_MUSIC=ftp://example.com/music.wav"}, "PBX_HOLD_MUSIC"},
		{"rtp learning", []string{"PBX_RTP_LEARNING=-1s"}, "PBX_RTP_LEARNING"},
		{"rtp quarantine", []string{"PBX_RTP_PORT_QUARANTINE=1h"}, "PBX_RTP_PORT_QUARANTINE"},
		{"call caps", []string{"PBX_SIP_CALLS_PER_USER=-1"}, "calls_per_user"},
		{"node on sqlite", []string{"PBX_NODE=a"}, "node mode needs a postgres:// database"},
		{"node dead after", []string{"PBX_NODE=a", "PBX_DB=postgres://pbx@127.0.0.1/pbx", "PBX_CLUSTER_DEAD_AFTER=5s"}, "PBX_CLUSTER_DEAD_AFTER"},
		{"cluster proxies", []string{"PBX_CLUSTER_PROXIES=balancer"}, "PBX_CLUSTER_PROXIES"},
		{"short admin token", []string{"PBX_ADMIN_TOKEN=peer-test-token"}, "admin_token (PBX_ADMIN_TOKEN): is 15 characters; use at least 20"},
		{"guard allow", []string{"PBX_GUARD_ALLOW=10.0.0.0/8,10.0.0.0/33"}, "PBX_GUARD_ALLOW"},
		{"account lock", []string{"PBX_GUARD_ACCOUNT_MAX_FAILURES=-1"}, "sip.guard.account.max_failures"},
		{"account window", []string{"PBX_GUARD_ACCOUNT_WINDOW=0s"}, "sip.guard.account"},
		{"nonce binding", []string{"PBX_SIP_NONCE_BIND_SOURCE=maybe"}, "PBX_SIP_NONCE_BIND_SOURCE"},
		{"tcp message timeout", []string{"PBX_SIP_TCP_MESSAGE_TIMEOUT=0s"}, "PBX_SIP_TCP_MESSAGE_TIMEOUT"},
		{"tcp registered idle under registrations", []string{"PBX_SIP_TCP_REGISTERED_IDLE_TIMEOUT=30m"}, "sip.registrar.max_expires"},
		{"tcp idle over registered idle", []string{"PBX_SIP_TCP_IDLE_TIMEOUT=2h"}, "PBX_SIP_TCP_IDLE_TIMEOUT"},
		{"tcp per source", []string{"PBX_SIP_TCP_MAX_PER_SOURCE=-1"}, "PBX_SIP_TCP_MAX_PER_SOURCE"},
		{"tcp cap", []string{"PBX_SIP_TCP_MAX_CONNECTIONS=-5"}, "PBX_SIP_TCP_MAX_CONNECTIONS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v does not name %s", err, tt.want)
			}
		})
	}
}

func TestAdminTokenOfSafeLength(t *testing.T) {
	if _, err := Load("", []string{"PBX_ADMIN_TOKEN=" + strings.Repeat("k", MinAdminTokenLen)}); err != nil {
		t.Fatalf("a %d-character token refused: %v", MinAdminTokenLen, err)
	}
}

func TestUnknownFileKeyIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.yaml")
	os.WriteFile(path, []byte("sip:\n  adress: 127.0.0.1:5070\n"), 0o600)
	if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "adress") {
		t.Fatalf("misspelt key accepted: %v", err)
	}
}

func TestGuardAllowFromEnvironment(t *testing.T) {
	cfg, err := Load("", []string{"PBX_GUARD_ALLOW=203.0.113.7,10.0.0.0/8", "PBX_SIP_NONCE_BIND_SOURCE=false"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.SIP.Guard.Allow, []string{"203.0.113.7", "10.0.0.0/8"}) || cfg.SIP.NonceBindSource {
		t.Fatalf("allow = %q, nonce_bind_source = %v", cfg.SIP.Guard.Allow, cfg.SIP.NonceBindSource)
	}
}

func TestExampleFileLoads(t *testing.T) {
	cfg, err := Load("pbx.example.yaml", nil)
	if err != nil {
		t.Fatalf("configs/pbx.example.yaml: %v", err)
	}
	def := Default()
	def.DB = cfg.DB
	if cfg.SIP.Registrar != def.SIP.Registrar || !reflect.DeepEqual(cfg.SIP.Guard, def.SIP.Guard) ||
		cfg.SIP.RateLimit != def.SIP.RateLimit || cfg.SIP.NonceBindSource != def.SIP.NonceBindSource || cfg.SIP.TCP != def.SIP.TCP ||
		cfg.HTTP != def.HTTP || cfg.Media != def.Media {
		t.Fatalf("the example documents values other than the defaults")
	}
	if cfg.SIP.Limits != def.SIP.Limits || cfg.RTPLearning != def.RTPLearning || cfg.RTPPortQuarantine != def.RTPPortQuarantine {
		t.Fatalf("the example's media and call limits are not the defaults")
	}
}
