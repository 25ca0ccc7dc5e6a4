package billing

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Kinds of notifications.
const (
	NoteLowBalance         = "low_balance"
	NoteAutoRechargeDone   = "auto_recharge_done"
	NoteAutoRechargeFailed = "auto_recharge_failed"
	NoteQuotaReached       = "quota_reached"
	NoteChargeFailed       = "charge_failed"
	NoteNumberReleased     = "number_released"
)

// Notification tells the administrators something they should act on.
type Notification struct {
	ID        uint      `gorm:"primaryKey" json:"id"`
	Key       string    `json:"-"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	Message   string    `json:"message"`
	Read      bool      `json:"read"`
	Dismissed bool      `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// TableName is the notifications' table.
func (Notification) TableName() string { return "billing_notifications" }

// Notifier keeps the notifications and, when a webhook is set, posts each
// new one to it as JSON signed with the shared secret (header
// X-PBX-Signature: sha256=<hex HMAC of the body>).
type Notifier struct {
	db      *gorm.DB
	now     func() time.Time
	log     *slog.Logger
	webhook string
	secret  []byte
	client  *http.Client
	queue   chan Notification
	wg      sync.WaitGroup
}

// webhookQueue bounds the notifications waiting for the webhook: past it
// they are dropped from the webhook (never from the list).
const webhookQueue = 256

// NewNotifier returns the notifications in db; webhook "" posts nowhere.
func NewNotifier(db *gorm.DB, webhook, secret string, log *slog.Logger, now func() time.Time) *Notifier {
	return &Notifier{db: db, now: now, log: log, webhook: webhook, secret: []byte(secret),
		client: &http.Client{Timeout: 10 * time.Second}, queue: make(chan Notification, webhookQueue)}
}

// Notify records a notification once per key (a second one with the same
// key is ignored) and queues it for the webhook.
func (n *Notifier) Notify(ctx context.Context, key, kind, title, message string) {
	note := Notification{Key: key, Kind: kind, Title: title, Message: message, CreatedAt: n.now().UTC()}
	res := n.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoNothing: true}).Create(&note)
	if res.Error != nil {
		n.log.Error("notification", "kind", kind, "error", res.Error)
		return
	}
	if res.RowsAffected == 0 {
		return // already notified
	}
	n.log.Info("notification", "kind", kind, "title", title)
	if n.webhook == "" {
		return
	}
	select {
	case n.queue <- note:
	default:
		n.log.Warn("webhook queue full: notification not posted", "kind", kind)
	}
}

// List returns the notifications not dismissed, newest first, and how many
// are unread.
func (n *Notifier) List(ctx context.Context) ([]Notification, int64, error) {
	list := []Notification{}
	q := n.db.WithContext(ctx).Model(&Notification{}).Where("dismissed = ?", false)
	if err := q.Order("created_at DESC, id DESC").Limit(200).Find(&list).Error; err != nil {
		return nil, 0, fmt.Errorf("notifications: %w", err)
	}
	var unread int64
	if err := n.db.WithContext(ctx).Model(&Notification{}).Where("dismissed = ? AND read = ?", false, false).Count(&unread).Error; err != nil {
		return nil, 0, fmt.Errorf("notifications: %w", err)
	}
	return list, unread, nil
}

// MarkRead marks a notification read.
func (n *Notifier) MarkRead(ctx context.Context, id uint) (Notification, error) {
	return n.set(ctx, id, "read")
}

// Dismiss hides a notification from the list.
func (n *Notifier) Dismiss(ctx context.Context, id uint) error {
	_, err := n.set(ctx, id, "dismissed")
	return err
}

func (n *Notifier) set(ctx context.Context, id uint, column string) (Notification, error) {
	var note Notification
	err := n.db.WithContext(ctx).Take(&note, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || note.Dismissed {
		return note, fmt.Errorf("notification %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return note, fmt.Errorf("notification %d: %w", id, err)
	}
	if err := n.db.WithContext(ctx).Model(&note).Update(column, true).Error; err != nil {
		return note, fmt.Errorf("notification %d: %w", id, err)
	}
	return note, nil
}

// Run posts queued notifications to the webhook until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case note := <-n.queue:
			n.post(ctx, note)
		}
	}
}

// Sign returns the signature header value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (n *Notifier) post(ctx context.Context, note Notification) {
	body, _ := json.Marshal(note)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.webhook, bytes.NewReader(body))
	if err != nil {
		n.log.Error("webhook", "error", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-PBX-Signature", Sign(n.secret, body))
	res, err := n.client.Do(req)
	if err != nil {
		n.log.Warn("webhook", "kind", note.Kind, "error", err)
		return
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		n.log.Warn("webhook refused the notification", "kind", note.Kind, "status", res.StatusCode)
	}
}
