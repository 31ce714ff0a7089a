//! A line diff of two versions' text: the longest common subsequence, then the lines only in
//! the old text (`-`) and only in the new (`+`). Site files are small (hundreds of lines), so
//! the quadratic table is cheap; past `MAX_CELLS` the texts are shown as replaced wholesale.

use pier_proto::sites::DiffLine;

const MAX_CELLS: usize = 4_000_000;

pub fn lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let line = |change, text: &str| DiffLine { change, text: text.to_string() };
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        return a.iter().map(|t| line('-', t)).chain(b.iter().map(|t| line('+', t))).collect();
    }
    // lcs[i][j]: the common length of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(line(' ', a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(line('+', b[j]));
            j += 1;
        } else {
            out.push(line('-', a[i]));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn changed_lines_are_marked() {
        let d = super::lines("a\nb\nc\n", "a\nB\nc\nd\n");
        let s: Vec<String> = d.iter().map(|l| format!("{}{}", l.change, l.text)).collect();
        assert_eq!(s, vec![" a", "+B", "-b", " c", "+d"]);
        assert!(super::lines("x", "x").iter().all(|l| l.change == ' '));
    }
}
