package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"pbx/invalid"
)

// Admin holds the administrator's password once it has been changed from the
// bootstrap token. There is at most one row.
type Admin struct {
	ID           uint      `gorm:"primaryKey"`
	PasswordHash string    `gorm:"size:100;not null"` // bcrypt
	ChangedAt    time.Time `gorm:"not null"`
}

// TableName keeps web's tables apart from the domain packages'.
func (Admin) TableName() string { return "web_admins" }

// Session is a signed-in browser. Only a hash of its id is stored, so a copy
// of the database does not hand out live sessions.
type Session struct {
	IDHash    string    `gorm:"primaryKey;size:64"`
	CSRFToken string    `gorm:"column:csrf_token;size:64;not null"`
	CreatedAt time.Time `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
}

// TableName keeps web's tables apart from the domain packages'.
func (Session) TableName() string { return "web_sessions" }

// APIToken is a named bearer token for programs. The secret is shown once at
// creation; only its SHA-256 is kept (it is random, so a slow hash adds nothing).
type APIToken struct {
	ID         uint       `gorm:"primaryKey" json:"id"`
	Name       string     `gorm:"size:64;not null" json:"name"`
	Prefix     string     `gorm:"size:16;not null" json:"prefix"`
	Hash       string     `gorm:"size:64;not null;uniqueIndex" json:"-"`
	CreatedAt  time.Time  `gorm:"not null" json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// TableName keeps web's tables apart from the domain packages'.
func (APIToken) TableName() string { return "web_api_tokens" }

// Models are the tables web owns, for the store to migrate.
func Models() []any { return []any{&Admin{}, &Session{}, &APIToken{}} }

const (
	// SessionTTL is how long a browser stays signed in.
	SessionTTL = 12 * time.Hour
	// MinPasswordLen is the shortest admin password accepted.
	MinPasswordLen = 12
	// maxPasswordBytes is bcrypt's limit; longer input would be silently cut.
	maxPasswordBytes = 72
	tokenPrefix      = "pbx_"
	// lastUsedEvery spares a database write per request for busy tokens.
	lastUsedEvery = time.Minute
)

// Credentials checks the admin password, browser sessions and API tokens.
type Credentials struct {
	db        *gorm.DB
	bootstrap string
	now       func() time.Time
}

// NewCredentials returns Credentials over db. bootstrap is PBX_ADMIN_TOKEN: the
// password and a bearer token until the admin sets a password.
func NewCredentials(db *gorm.DB, bootstrap string, now func() time.Time) *Credentials {
	return &Credentials{db: db, bootstrap: bootstrap, now: now}
}

// PasswordSet reports whether the admin has replaced the bootstrap password.
func (c *Credentials) PasswordSet(ctx context.Context) (bool, error) {
	var n int64
	if err := c.db.WithContext(ctx).Model(&Admin{}).Count(&n).Error; err != nil {
		return false, fmt.Errorf("read admin: %w", err)
	}
	return n > 0, nil
}

// CheckPassword returns nil if password is the admin's, ErrWrongPassword if not.
func (c *Credentials) CheckPassword(ctx context.Context, password string) error {
	var a Admin
	err := c.db.WithContext(ctx).Take(&a).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		if c.bootstrap != "" && equal(password, c.bootstrap) {
			return nil
		}
		return ErrWrongPassword
	case err != nil:
		return fmt.Errorf("read admin: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(password)) != nil {
		return ErrWrongPassword
	}
	return nil
}

// ChangePassword replaces the admin password after checking current, and ends
// every session but keep (the one that asked), so a stolen session dies with
// the old password.
func (c *Credentials) ChangePassword(ctx context.Context, current, next, keep string) error {
	if err := c.CheckPassword(ctx, current); err != nil {
		if errors.Is(err, ErrWrongPassword) {
			return invalid.New("current_password", "is not the current password")
		}
		return err
	}
	if err := validatePassword(next, current); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(next), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return c.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		a := Admin{ID: 1, PasswordHash: string(hash), ChangedAt: c.now()}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&a).Error; err != nil {
			return fmt.Errorf("store password: %w", err)
		}
		if err := tx.Where("id_hash <> ?", hashHex(keep)).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("end other sessions: %w", err)
		}
		return nil
	})
}

func validatePassword(next, current string) error {
	switch {
	case utf8.RuneCountInString(next) < MinPasswordLen:
		return invalid.New("new_password", fmt.Sprintf("must be at least %d characters", MinPasswordLen))
	case len(next) > maxPasswordBytes:
		return invalid.New("new_password", fmt.Sprintf("must be at most %d bytes", maxPasswordBytes))
	case next == current:
		return invalid.New("new_password", "must differ from the current password")
	case strings.Count(next, next[:1]) == len(next):
		return invalid.New("new_password", "must not repeat one character")
	}
	return nil
}

// NewSession starts a session and returns its secret id (for the cookie) and
// the stored row (with its CSRF token). Expired sessions are swept on the way.
func (c *Credentials) NewSession(ctx context.Context) (string, Session, error) {
	id, csrf := randomSecret(), randomSecret()
	now := c.now()
	s := Session{IDHash: hashHex(id), CSRFToken: csrf, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	db := c.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", now).Delete(&Session{}).Error; err != nil {
		return "", Session{}, fmt.Errorf("sweep sessions: %w", err)
	}
	if err := db.Create(&s).Error; err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return id, s, nil
}

// Session returns the live session with secret id, or ErrNoSession.
func (c *Credentials) Session(ctx context.Context, id string) (Session, error) {
	var s Session
	err := c.db.WithContext(ctx).Where("id_hash = ? AND expires_at > ?", hashHex(id), c.now()).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return s, ErrNoSession
	}
	if err != nil {
		return s, fmt.Errorf("read session: %w", err)
	}
	return s, nil
}

// EndSession signs the session with secret id out.
func (c *Credentials) EndSession(ctx context.Context, id string) error {
	if err := c.db.WithContext(ctx).Where("id_hash = ?", hashHex(id)).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// CreateToken stores a new API token called name and returns it with its
// secret, which is not kept and cannot be shown again.
func (c *Credentials) CreateToken(ctx context.Context, name string) (APIToken, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return APIToken{}, "", invalid.New("name", "is required")
	case utf8.RuneCountInString(name) > 64:
		return APIToken{}, "", invalid.New("name", "must be at most 64 characters")
	}
	secret := tokenPrefix + randomSecret()
	t := APIToken{Name: name, Prefix: secret[:len(tokenPrefix)+6], Hash: hashHex(secret), CreatedAt: c.now()}
	if err := c.db.WithContext(ctx).Create(&t).Error; err != nil {
		return APIToken{}, "", fmt.Errorf("create token: %w", err)
	}
	return t, secret, nil
}

// Tokens lists the API tokens, newest first.
func (c *Credentials) Tokens(ctx context.Context) ([]APIToken, error) {
	out := []APIToken{}
	if err := c.db.WithContext(ctx).Order("id DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken deletes the token with id, or returns ErrNoToken.
func (c *Credentials) RevokeToken(ctx context.Context, id uint) error {
	res := c.db.WithContext(ctx).Delete(&APIToken{}, id)
	if res.Error != nil {
		return fmt.Errorf("revoke token %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("token %d: %w", id, ErrNoToken)
	}
	return nil
}

// CheckBearer returns nil if secret is a live API token, or the bootstrap
// token while no admin password is set; ErrBootstrapRetired for the
// bootstrap token once a password is set (a row in web_admins); ErrNoToken
// for anything else.
func (c *Credentials) CheckBearer(ctx context.Context, secret string) (name string, err error) {
	if c.bootstrap != "" && equal(secret, c.bootstrap) {
		set, err := c.PasswordSet(ctx)
		switch {
		case err != nil:
			return "", err
		case set:
			return "", ErrBootstrapRetired
		}
		return "the bootstrap token", nil
	}
	if !strings.HasPrefix(secret, tokenPrefix) {
		return "", ErrNoToken
	}
	var t APIToken
	err = c.db.WithContext(ctx).Where("hash = ?", hashHex(secret)).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ErrNoToken
	}
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	now := c.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedEvery {
		if err := c.db.WithContext(ctx).Model(&t).Update("last_used_at", now).Error; err != nil {
			return "", fmt.Errorf("touch token: %w", err)
		}
	}
	return t.Name, nil
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand doc)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
