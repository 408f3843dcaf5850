enum ManifestPlaceholder {}
