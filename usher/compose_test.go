package usher

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// composeService is what the compose check reads of one service.
type composeService struct {
	lines   []string
	command []string
	ports   []string // host side of "host:container" or "ip:host:container"
	aliases []string
}

// readCompose parses just enough of docker-compose.yml to check it: no
// YAML library is a dependency, and no Docker engine is available here.
func readCompose(t *testing.T, path string) (top []string, services map[string]*composeService) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	services = map[string]*composeService{}
	var cur *composeService
	inServices, inPorts := false, false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.Contains(line, "\t") {
			t.Errorf("line %d: tab in YAML", n)
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0:
			top = append(top, strings.TrimSuffix(trimmed, ":"))
			inServices, cur = trimmed == "services:", nil
			continue
		case inServices && indent == 2:
			name := strings.TrimSuffix(trimmed, ":")
			cur = &composeService{}
			services[name] = cur
			continue
		}
		if cur == nil {
			continue
		}
		cur.lines = append(cur.lines, trimmed)
		if indent == 4 {
			inPorts = trimmed == "ports:"
		}
		switch {
		case strings.HasPrefix(trimmed, "command:"):
			for _, m := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(trimmed, -1) {
				cur.command = append(cur.command, m[1])
			}
		case inPorts && strings.HasPrefix(trimmed, "- "):
			p := strings.Split(strings.Trim(strings.TrimPrefix(trimmed, "- "), `"`), ":")
			cur.ports = append(cur.ports, p[len(p)-2])
		case strings.HasPrefix(trimmed, "aliases:"):
			for _, a := range strings.Split(strings.Trim(strings.TrimPrefix(trimmed, "aliases:"), " []"), ",") {
				cur.aliases = append(cur.aliases, strings.TrimSpace(a))
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return top, services
}

// flagDefined reports whether a binary's main package defines flag name.
func flagDefined(t *testing.T, root, bin, name string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, bin, "cmd", bin, "*.go"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), fmt.Sprintf("%q", name)) {
			return true
		}
	}
	return false
}

func TestDockerCompose(t *testing.T) {
	root := ".."
	top, services := readCompose(t, filepath.Join(root, "docker-compose.yml"))
	if !slices.Contains(top, "services") {
		t.Fatal("no services")
	}
	want := []string{"redis", "usher", "ingest", "edge1", "edge2", "edge3"}
	for _, name := range want {
		if services[name] == nil {
			t.Fatalf("service %s missing", name)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "docker", "Dockerfile")); err != nil {
		t.Errorf("docker/Dockerfile: %v", err)
	}
	dockerfile, _ := os.ReadFile(filepath.Join(root, "docker", "Dockerfile"))
	hostPorts := map[string]string{}
	for _, name := range want {
		svc := services[name]
		t.Run(name, func(t *testing.T) {
			for _, p := range svc.ports {
				if other, dup := hostPorts[p]; dup {
					t.Errorf("host port %s also published by %s", p, other)
				}
				hostPorts[p] = name
			}
			if name == "redis" {
				return
			}
			if !slices.Contains(svc.lines, "<<: *image") {
				t.Error("does not use the shared image")
			}
			if len(svc.command) == 0 {
				t.Fatal("no command")
			}
			bin := svc.command[0]
			if _, err := os.Stat(filepath.Join(root, bin, "cmd", bin)); err != nil {
				t.Errorf("binary %s: %v", bin, err)
			}
			if !strings.Contains(string(dockerfile), "./"+bin+"/cmd/"+bin) {
				t.Errorf("docker/Dockerfile does not build %s", bin)
			}
			for _, arg := range svc.command[1:] {
				if f, ok := strings.CutPrefix(arg, "-"); ok && !flagDefined(t, root, bin, f) {
					t.Errorf("%s has no flag -%s", bin, f)
				}
			}
			if !slices.Contains(svc.aliases, name+".localhost") {
				t.Errorf("no alias %s.localhost", name)
			}
			// A service's own URL must use the port it listens on, which is
			// also the port it publishes.
			httpPort := ""
			if i := slices.Index(svc.command, "-http"); i > 0 && i+1 < len(svc.command) {
				httpPort = strings.TrimPrefix(svc.command[i+1], ":")
			}
			if httpPort == "" || !slices.Contains(svc.ports, httpPort) {
				t.Errorf("HTTP port %q not published as itself (ports %v)", httpPort, svc.ports)
			}
			for _, l := range svc.lines {
				if u, ok := strings.CutPrefix(l, "LIVETREE_PUBLIC_URL: "); ok && u != "http://"+name+".localhost:"+httpPort {
					t.Errorf("public URL %s does not match the service's port %s", u, httpPort)
				}
			}
		})
	}
	if cmd := services["usher"].command; !slices.Contains(cmd, "-redis") || !slices.Contains(cmd, "redis://redis:6379/0") {
		t.Errorf("usher command %v does not use the redis service", cmd)
	}
	if cmd := services["edge1"].command; !slices.Contains(cmd, "http://ingest.localhost:8080") {
		t.Errorf("edge1 command %v does not pull from the ingest", cmd)
	}
	for _, e := range []string{"edge2", "edge3"} {
		if slices.Contains(services[e].command, "-parent") {
			t.Errorf("%s has a fixed parent; it should ask usher", e)
		}
	}
}
