package routing

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"time"
)

// User is a phone user: a person who places and takes calls from one or more
// SIP devices registered under SIPUsername.
type User struct {
	ID                  uint      `gorm:"primaryKey" json:"id"`
	Name                string    `gorm:"size:100;not null" json:"name"`
	Extension           string    `gorm:"size:16;not null;uniqueIndex" json:"extension"`
	SIPUsername         string    `gorm:"column:sip_username;size:64;not null;uniqueIndex" json:"sip_username"`
	AllowOutbound       bool      `gorm:"not null" json:"allow_outbound"`
	RecordOutbound      bool      `gorm:"not null" json:"record_outbound"`
	CallerIDs           []string  `gorm:"serializer:json" json:"caller_ids"`
	AllowCustomCallerID bool      `gorm:"not null" json:"allow_custom_caller_id"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`

	// HA1MD5 and HA1SHA256 are all that digest verification needs of the
	// password, which itself is never stored.
	HA1MD5    string `gorm:"column:ha1_md5;size:32" json:"-"`
	HA1SHA256 string `gorm:"column:ha1_sha256;size:64" json:"-"`

	// GroupIDs are the groups the user belongs to, read from GroupMember.
	GroupIDs []uint `gorm:"-" json:"group_ids"`
}

// UserInput is what a client sends to create or change a user. A nil field
// is left as it is on update.
type UserInput struct {
	Name                *string   `json:"name"`
	Extension           *string   `json:"extension"`
	SIPUsername         *string   `json:"sip_username"`
	SIPPassword         *string   `json:"sip_password"`
	AllowOutbound       *bool     `json:"allow_outbound"`
	RecordOutbound      *bool     `json:"record_outbound"`
	CallerIDs           *[]string `json:"caller_ids"`
	AllowCustomCallerID *bool     `json:"allow_custom_caller_id"`
	GroupIDs            *[]uint   `json:"group_ids"`
}

// HA1 computes the digest A1 hash of username:realm:password with h (RFC 7616).
func HA1(h hash.Hash, username, realm, password string) string {
	h.Reset()
	h.Write([]byte(username + ":" + realm + ":" + password))
	return hex.EncodeToString(h.Sum(nil))
}

func (u *User) setPassword(realm, password string) {
	u.HA1MD5 = HA1(md5.New(), u.SIPUsername, realm, password)
	u.HA1SHA256 = HA1(sha256.New(), u.SIPUsername, realm, password)
}
