package routing

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm/schema"
)

func testHistory(t testing.TB) *History {
	t.Helper()
	return NewHistory(testDirectory(t).db, nil)
}

func TestHistoryRecord(t *testing.T) {
	ctx := context.Background()
	h := testHistory(t)
	paris := time.FixedZone("CET", 3600)
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, paris)
	answered := start.Add(4 * time.Second)
	rec := CallRecord{CallID: "abc@host", Direction: DirectionInbound, Type: CallIncoming, From: "+15551230000",
		To: "+15550001111", Number: "+15550001111", OwnerUserID: ptr(uint(7)), StartedAt: start,
		AnsweredAt: &answered, EndedAt: answered.Add(61*time.Second + 600*time.Millisecond),
		HangupCause: "completed", SIPCode: 200, DurationSeconds: 999}
	if err := h.Record(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, err := h.Call(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.DurationSeconds != 62 || !got.StartedAt.Equal(start) || got.StartedAt.Location() != time.UTC ||
		got.From != rec.From || *got.OwnerUserID != 7 || got.TrunkID != nil {
		t.Fatalf("stored %+v", got)
	}
	if _, err := h.Call(ctx, 2); err == nil {
		t.Fatal("found a record that does not exist")
	}
	for _, bad := range []CallRecord{
		{Direction: DirectionInbound, Type: CallMissed},
		{CallID: "x", Direction: "sideways", Type: CallMissed},
		{CallID: "x", Direction: DirectionInbound, Type: "lost"},
	} {
		if err := h.Record(ctx, bad); err == nil {
			t.Errorf("stored %+v", bad)
		}
	}
}

// seedHistory stores n records, one a minute from 2025-03-01 00:00 UTC
// back in time, alternating missed (no owner) and incoming (owner 1 or 2).
func seedHistory(t *testing.T, h *History, n int) {
	t.Helper()
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		rec := CallRecord{CallID: fmt.Sprintf("c%d", i), Direction: DirectionInbound, Type: CallMissed,
			From: "+15551230000", To: "+15550001111", StartedAt: base.Add(-time.Duration(i) * time.Minute),
			HangupCause: "no answer", SIPCode: 480}
		rec.EndedAt = rec.StartedAt.Add(20 * time.Second)
		if i%2 == 1 {
			rec.Type, rec.SIPCode, rec.HangupCause = CallIncoming, 200, "completed"
			rec.OwnerUserID = ptr(uint(1 + i%4/2))
			rec.AnsweredAt = ptr(rec.StartedAt.Add(5 * time.Second))
		}
		if err := h.Record(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHistoryList(t *testing.T) {
	h := testHistory(t)
	seedHistory(t, h, 10) // c0 at 00:00, c1 at 23:59 the day before ...
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		f     CallFilter
		want  []string
		total int64
	}{
		{"all, newest first", CallFilter{}, []string{"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"}, 10},
		{"page", CallFilter{Limit: 3, Offset: 2}, []string{"c2", "c3", "c4"}, 10},
		{"missed", CallFilter{Type: CallMissed}, []string{"c0", "c2", "c4", "c6", "c8"}, 5},
		{"owner", CallFilter{Owner: 2}, []string{"c3", "c7"}, 2},
		{"owner and type", CallFilter{Owner: 1, Type: CallMissed}, nil, 0},
		{"from is inclusive", CallFilter{From: day.Add(-2 * time.Minute)}, []string{"c0", "c1", "c2"}, 3},
		{"to is exclusive", CallFilter{To: day.Add(-7 * time.Minute)}, []string{"c8", "c9"}, 2},
		{"range in another zone", CallFilter{From: day.Add(-3 * time.Minute).In(time.FixedZone("X", -5*3600)),
			To: day.Add(-time.Minute).In(time.FixedZone("Y", 9*3600))}, []string{"c2", "c3"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := h.List(context.Background(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.CallID)
			}
			if !slices.Equal(ids, tt.want) || total != tt.total {
				t.Fatalf("got %v (total %d), want %v (total %d)", ids, total, tt.want, tt.total)
			}
		})
	}
}

func TestHistoryWriteCSV(t *testing.T) {
	h := testHistory(t)
	n := csvBatch*2 + 3 // crosses batch boundaries
	seedHistory(t, h, n)
	// Two records started at the same time, to check keyset paging keeps both.
	same := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(csvBatch-1) * time.Minute)
	evil := CallRecord{CallID: "evil", Direction: DirectionInbound, Type: CallMissed, From: `=HYPERLINK("http://x","a, b")`,
		To: "-2+3", Number: "+15550001111", StartedAt: same, EndedAt: same, HangupCause: "@cause", SIPCode: 480}
	if err := h.Record(context.Background(), evil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := h.WriteCSV(context.Background(), &buf, CallFilter{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], CallCSVHeader) {
		t.Fatalf("header %v", rows[0])
	}
	if len(rows) != n+2 {
		t.Fatalf("%d rows, want %d and a header", len(rows)-1, n+1)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if seen[r[1]] {
			t.Fatalf("%s exported twice", r[1])
		}
		seen[r[1]] = true
		if r[1] == "evil" {
			if r[4] != `'=HYPERLINK("http://x","a, b")` || r[5] != "'-2+3" || r[6] != "+15550001111" || r[16] != "'@cause" {
				t.Fatalf("formula cells not defused: %q", r)
			}
		}
	}
	if !seen["evil"] {
		t.Fatal("a record sharing its start time with another was skipped")
	}
	if rows[1][1] != "c0" || rows[1][10] != "2025-03-01T00:00:00Z" {
		t.Fatalf("first row %q", rows[1])
	}
	if rows[2][7] != "1" || rows[2][13] != "15" || rows[2][11] == "" {
		t.Fatalf("answered row %q", rows[2])
	}
}

// BenchmarkCallRecords writes what one answered call writes (the record at
// the start, the answer, the end) from many calls at once.
func BenchmarkCallRecords(b *testing.B) {
	h := testHistory(b)
	ctx := context.Background()
	b.SetParallelism(32)
	b.ReportAllocs()
	var n atomic.Int64
	cpu0 := cpuTime()
	defer func() {
		if err := h.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
	}()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := CallRecord{CallID: fmt.Sprint("bench-", n.Add(1)), Direction: DirectionInbound, Type: CallMissed,
				From: "+15550001111", To: "+15550002222", Number: "+15550002222", StartedAt: time.Now()}
			if err := h.Begin(ctx, &rec); err != nil {
				b.Fatal(err)
			}
			at := time.Now()
			rec.AnsweredAt, rec.Type = &at, CallIncoming
			if err := h.Update(ctx, rec); err != nil {
				b.Fatal(err)
			}
			rec.EndedAt = time.Now()
			if err := h.Record(ctx, rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// cpuTime is the CPU time the process has used: what a benchmark costs,
// whatever else the machine is running.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestRecordsWrittenTogetherKeepTheirOwnIDs begins many calls at once (so
// their records are inserted in shared batches) and checks each call got
// the ID of its own row, and that a completed record leaves the calls in
// progress.
func TestRecordsWrittenTogetherKeepTheirOwnIDs(t *testing.T) {
	h := testHistory(t)
	ctx := context.Background()
	recs := make([]CallRecord, 200)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = CallRecord{CallID: fmt.Sprint("together-", i), Direction: DirectionInbound, Type: CallMissed,
			From: "+15550001111", To: "+15550002222", StartedAt: time.Now()}
		wg.Go(func() {
			if err := h.Begin(ctx, &recs[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, r := range recs {
		got, err := h.Call(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.CallID != r.CallID || !got.InProgress {
			t.Fatalf("record %d holds %s (in progress %v), want %s in progress", r.ID, got.CallID, got.InProgress, r.CallID)
		}
	}
	for i := range recs {
		wg.Go(func() {
			at := time.Now()
			recs[i].AnsweredAt, recs[i].Type, recs[i].Voicemail = &at, CallIncoming, i%2 == 0
			if err := h.Update(ctx, recs[i]); err != nil {
				t.Error(err)
			}
			recs[i].EndedAt = at.Add(3 * time.Second)
			if i%3 == 0 {
				return // still in progress
			}
			if err := h.Record(ctx, recs[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	open, err := h.InProgress(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 67 {
		t.Fatalf("%d calls in progress, want 67", len(open))
	}
	for _, r := range recs {
		got, _ := h.Call(ctx, r.ID)
		if got.Voicemail != r.Voicemail || got.Type != CallIncoming || got.AnsweredAt == nil {
			t.Fatalf("record %d: voicemail %v type %s answered %v; want %v incoming answered", r.ID, got.Voicemail, got.Type, got.AnsweredAt, r.Voicemail)
		}
	}
}

// TestKeepAliveIsNotUndoneByAWriteBehind keeps a call alive while a change
// to its record waits to be written: the alive time must stay.
func TestKeepAliveIsNotUndoneByAWriteBehind(t *testing.T) {
	h := testHistory(t)
	ctx := context.Background()
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	rec := CallRecord{CallID: "alive", Direction: DirectionInbound, Type: CallMissed, From: "a", To: "b", StartedAt: start}
	if err := h.Begin(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	rec.Type = CallIncoming
	if err := h.Update(ctx, rec); err != nil { // waits behind, alive at the start
		t.Fatal(err)
	}
	alive := start.Add(10 * time.Second)
	if err := h.KeepAlive(ctx, alive); err != nil {
		t.Fatal(err)
	}
	open, err := h.InProgress(ctx) // writes what is behind first
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || !open[0].AliveAt.Equal(alive) || open[0].Type != CallIncoming {
		t.Fatalf("in progress: %+v; want the call incoming, alive at %s", open, alive)
	}
}

// TestInsertRecordsStoresEveryColumn keeps insertRecords' plain statement
// equal to the model: every stored column of CallRecord is in it, and a
// record with every field set comes back as it went in.
func TestInsertRecordsStoresEveryColumn(t *testing.T) {
	d := testDirectory(t)
	s, err := schema.Parse(&CallRecord{}, &sync.Map{}, d.db.NamingStrategy)
	if err != nil {
		t.Fatal(err)
	}
	var model []string
	for _, f := range s.Fields {
		if f.DBName != "" && !f.PrimaryKey {
			model = append(model, f.DBName)
		}
	}
	ours := strings.Split(recordColumns, ", ")
	slices.Sort(model)
	slices.Sort(ours)
	if !slices.Equal(model, ours) {
		t.Fatalf("the model stores %q, insertRecords %q", model, ours)
	}

	at := time.Date(2026, 12, 2, 16, 30, 0, 123000000, time.UTC)
	answered := at.Add(3 * time.Second)
	want := CallRecord{CallID: "every@field", Direction: DirectionInbound, Type: CallIncoming, From: "+15551230000",
		To: "+15550001111", Number: "+15550001111", OwnerUserID: ptr(uint(7)), TrunkID: ptr(uint(2)), FlowID: ptr(uint(3)),
		StartedAt: at, AnsweredAt: &answered, EndedAt: at.Add(time.Minute), DurationSeconds: 57, HangupCause: "completed",
		SIPCode: 200, RecordingSeconds: 55, CreditsCharged: 12345, Rate: "0.02/min", Recording: "2026/12/x.wav",
		Voicemail: true, InProgress: true, AliveAt: at.Add(30 * time.Second), Node: "a"}
	recs := []CallRecord{want}
	if err := insertRecords(context.Background(), d.db, recs); err != nil {
		t.Fatal(err)
	}
	var got CallRecord
	if err := d.db.First(&got, recs[0].ID).Error; err != nil {
		t.Fatal(err)
	}
	want.ID, want.HasRecording = recs[0].ID, true
	defer func() { // and a save replaces every column
		changed := want
		changed.CallID, changed.Type, changed.OwnerUserID, changed.TrunkID, changed.AnsweredAt = "saved@field", CallMissed, nil, ptr(uint(9)), nil
		changed.DurationSeconds, changed.Voicemail, changed.InProgress, changed.Node, changed.CreditsCharged = 0, false, false, "b", 1
		if err := saveRecords(context.Background(), d.db, []CallRecord{changed}); err != nil {
			t.Fatal(err)
		}
		var again CallRecord
		if err := d.db.First(&again, changed.ID).Error; err != nil {
			t.Fatal(err)
		}
		again.StartedAt, again.EndedAt, again.AliveAt = changed.StartedAt, changed.EndedAt, changed.AliveAt
		changed.HasRecording = true
		if !reflect.DeepEqual(again, changed) {
			t.Fatalf("saved %+v\nwant  %+v", again, changed)
		}
	}()
	if !got.StartedAt.Equal(want.StartedAt) || !got.AnsweredAt.Equal(*want.AnsweredAt) || !got.EndedAt.Equal(want.EndedAt) ||
		!got.AliveAt.Equal(want.AliveAt) {
		t.Fatalf("times: stored %+v, want %+v", got, want)
	}
	got.StartedAt, got.AnsweredAt, got.EndedAt, got.AliveAt = want.StartedAt, want.AnsweredAt, want.EndedAt, want.AliveAt
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored %+v\nwant   %+v", got, want)
	}
}
