// Package greet builds the service's answers; a package of its own so a
// rebuild after a change in main.go reuses its compiled form from the Go
// build cache.
package greet

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Message is the JSON body of a reply.
type Message struct {
	Service  string   `json:"service"`
	Features []string `json:"features"`
}

// JSON renders the reply for a service.
func JSON(service string, features ...string) (string, error) {
	b, err := json.Marshal(Message{Service: service, Features: features})
	if err != nil {
		return "", fmt.Errorf("greet: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
