package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// WriteJSON writes the whole report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteFiles writes dir/base.json and dir/base.html, creating dir, and
// returns their paths.
func WriteFiles(dir, base string, r *Report) (jsonPath, htmlPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	jsonPath = filepath.Join(dir, base+".json")
	htmlPath = filepath.Join(dir, base+".html")
	if err := writeFile(jsonPath, r, WriteJSON); err != nil {
		return "", "", err
	}
	if err := writeFile(htmlPath, r, WriteHTML); err != nil {
		return "", "", err
	}
	return jsonPath, htmlPath, nil
}

func writeFile(path string, r *Report, write func(io.Writer, *Report) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = write(bw, r)
	return errors.Join(err, bw.Flush(), f.Close())
}
