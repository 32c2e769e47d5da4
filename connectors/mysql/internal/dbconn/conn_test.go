package dbconn

import (
	"testing"
)

func TestQuoteIdent(t *testing.T) {
	if got := QuoteTable("we`ird", "t"); got != "`we``ird`.`t`" {
		t.Errorf("quoteTable = %s", got)
	}
}

func TestWithSinkParams(t *testing.T) {
	if got := WithSinkParams("u@tcp(h:1)/"); got != "u@tcp(h:1)/?foreign_key_checks=0&interpolateParams=true" {
		t.Error(got)
	}
	if got := WithSinkParams("u@tcp(h:1)/?tls=false"); got != "u@tcp(h:1)/?tls=false&foreign_key_checks=0&interpolateParams=true" {
		t.Error(got)
	}
	// The operator's choice stands (prepared statements with interpolateParams=false).
	if got := WithSinkParams("u@tcp(h:1)/?interpolateParams=false"); got != "u@tcp(h:1)/?interpolateParams=false&foreign_key_checks=0" {
		t.Error(got)
	}
}
