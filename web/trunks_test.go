package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"pbx/routing"
	"pbx/sip"
	"pbx/store"
)

func trunkServer(t *testing.T) *Server {
	t.Helper()
	s, _ := trunkServerDB(t)
	return s
}

func trunkServerDB(t *testing.T) (*Server, *gorm.DB) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	models := append(append(routing.Models(), sip.Models()...), Models()...)
	if err := store.Migrate(context.Background(), db, models...); err != nil {
		t.Fatal(err)
	}
	// Wired as cmd/pbx wires them.
	trunks, err := sip.NewTrunks(context.Background(), db, sip.WithNumbersUsing(routing.NumbersUsingTrunk))
	if err != nil {
		t.Fatal(err)
	}
	return NewServer(Config{AdminToken: bootstrap}, db, routing.NewDirectory(db, "pbx", routing.WithTrunks(sip.TrunkExists)), noRegistrations{},
		prometheus.NewRegistry(), log, WithTrunks(trunks)), db
}

// failQuery makes the n-th query on table fail (counting from 1) while armed.
type failQuery struct {
	table string
	armed atomic.Bool
	n     atomic.Int32
	count atomic.Int32
}

var errInjected = errors.New("injected database error")

func injectQueryError(t *testing.T, db *gorm.DB, table string) *failQuery {
	t.Helper()
	f := &failQuery{table: table}
	err := db.Callback().Query().Before("gorm:query").Register("test:fail_query", func(tx *gorm.DB) {
		if f.armed.Load() && tx.Statement.Table == f.table && f.count.Add(1) == f.n.Load() {
			tx.AddError(errInjected)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestTrunkUpdateSurvivesDatabaseErrors: whichever read of an update fails,
// the carrier password is never lost. It was: the password was read apart
// from the trunk and its error ignored, so the trunk was saved with none.
func TestTrunkUpdateSurvivesDatabaseErrors(t *testing.T) {
	s, db := trunkServerDB(t)
	fail := injectQueryError(t, db, "trunks")
	api(t, s, "POST", "/api/v1/trunks", `{"name":"Carrier","host":"sip.carrier.example","username":"acct","password":"s3cret-pass"}`, http.StatusCreated)
	for n := int32(1); n <= 4; n++ {
		fail.count.Store(0)
		fail.n.Store(n)
		fail.armed.Store(true)
		res := do(t, s, req{method: "PATCH", path: "/api/v1/trunks/1", body: `{"name":"Carrier ` + strconv.Itoa(int(n)) + `","port":` + strconv.Itoa(5080+int(n)) + `}`, bearer: bootstrap})
		fail.armed.Store(false)
		var stored sip.Trunk
		if err := db.First(&stored, 1).Error; err != nil {
			t.Fatal(err)
		}
		t.Logf("query %d fails: status %d, port %d", n, res.StatusCode, stored.Port)
		if stored.Password != "s3cret-pass" {
			t.Fatalf("query %d failing left the trunk with password %q (answered %d)", n, stored.Password, res.StatusCode)
		}
		if res.StatusCode == http.StatusOK && stored.Port != 5080+int(n) {
			t.Fatalf("answered 200 but the port is %d", stored.Port)
		}
	}
}

func TestTrunkAPI(t *testing.T) {
	s := trunkServer(t)
	res := api(t, s, "POST", "/api/v1/trunks", `{"name":"Carrier","host":"sip.carrier.example","username":"acct",
		"password":"s3cret-pass","inbound_cidrs":["198.51.100.0/24"]}`, http.StatusCreated)
	body, _ := io.ReadAll(res.Body)
	if strings.Contains(string(body), "s3cret-pass") || !strings.Contains(string(body), `"has_password":true`) {
		t.Fatalf("created trunk shows its password or hides that it has one: %s", body)
	}
	var tr sip.Trunk
	json.Unmarshal(body, &tr)
	if tr.Port != 5060 || tr.Transport != "udp" || tr.CallerIDFormat != "e164" || !tr.Enabled {
		t.Fatalf("defaults: %+v", tr)
	}

	wantFields(t, api(t, s, "POST", "/api/v1/trunks", `{"name":"Carrier","host":"x y","inbound_cidrs":["10.0.0.0/8","bad"]}`,
		http.StatusUnprocessableEntity), "name", "host", "inbound_cidrs[1]")
	wantFields(t, api(t, s, "POST", "/api/v1/trunks", `{"name":"B","host":"10.0.0.1","port":"5060"}`,
		http.StatusUnprocessableEntity), "port")

	api(t, s, "PATCH", "/api/v1/trunks/1", `{"port":5080,"transport":"tcp"}`, http.StatusOK)
	got := decodeBody[sip.Trunk](t, api(t, s, "GET", "/api/v1/trunks/1", "", http.StatusOK))
	if got.Port != 5080 || got.Transport != "tcp" || !got.HasPassword {
		t.Fatalf("after update: %+v", got)
	}
	api(t, s, "GET", "/api/v1/trunks/9", "", http.StatusNotFound)
	api(t, s, "DELETE", "/api/v1/trunks/1", "", http.StatusNoContent)
	api(t, s, "DELETE", "/api/v1/trunks/1", "", http.StatusNotFound)
	list := decodeBody[struct{ Trunks []sip.Trunk }](t, api(t, s, "GET", "/api/v1/trunks", "", http.StatusOK))
	if len(list.Trunks) != 0 {
		t.Fatalf("list after delete: %+v", list)
	}
}
