pub fn run(_demo: bool) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
