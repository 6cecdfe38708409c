package arrival

import (
	"strings"
	"testing"
)

func TestParseNetStats(t *testing.T) {
	soft := "04e9a7eb 00006587 00000003 00000000\n04ddb066 00016666 00000001 00000000\n"
	if n, err := parseSoftnet(strings.NewReader(soft)); err != nil || n != 0x6587+0x16666 {
		t.Fatalf("parseSoftnet = %d, %v", n, err)
	}
	if _, err := parseSoftnet(strings.NewReader("zz zz\n")); err == nil {
		t.Fatal("parseSoftnet took a bad line")
	}
	snmp := "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: RtoAlgorithm RtoMin RetransSegs InErrs\nTcp: 1 200 885192 4\n"
	if n, err := parseSNMP(strings.NewReader(snmp), "Tcp", "RetransSegs"); err != nil || n != 885192 {
		t.Fatalf("parseSNMP = %d, %v", n, err)
	}
	if _, err := parseSNMP(strings.NewReader(snmp), "Tcp", "Nothing"); err == nil {
		t.Fatal("parseSNMP found a missing counter")
	}
	if _, err := ReadNetStats(); err != nil {
		t.Fatalf("ReadNetStats: %v", err)
	}
}
