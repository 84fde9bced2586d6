# oci_archive NAME ROOTFS_DIR CONFIG_JSON OUT_TAR
# Writes a one-layer OCI image layout archive that `ctr images import` accepts. CONFIG_JSON is the image
# config's "config" object (Env, Cmd, User, WorkingDir...). File owners in ROOTFS_DIR are kept as numeric ids.
# Sourced by the image scripts.
oci_archive() {
  local name=$1 rootfs=$2 config=$3 out=$4
  local dir; dir=$(mktemp -d)
  mkdir -p "$dir/blobs/sha256"
  tar --sort=name --numeric-owner --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" .
  local layer_sha layer_size
  layer_sha=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
  layer_size=$(stat -c %s "$dir/layer.tar")
  mv "$dir/layer.tar" "$dir/blobs/sha256/$layer_sha"

  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"kfwd lab"}]}' \
    "$config" "$layer_sha" >"$dir/config.json"
  local cfg_sha cfg_size
  cfg_sha=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
  cfg_size=$(stat -c %s "$dir/config.json")
  mv "$dir/config.json" "$dir/blobs/sha256/$cfg_sha"

  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cfg_sha" "$cfg_size" "$layer_sha" "$layer_size" >"$dir/manifest.json"
  local man_sha man_size
  man_sha=$(sha256sum "$dir/manifest.json" | cut -d' ' -f1)
  man_size=$(stat -c %s "$dir/manifest.json")
  mv "$dir/manifest.json" "$dir/blobs/sha256/$man_sha"

  local tag=${name##*:}
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$man_sha" "$man_size" "$name" "$tag" >"$dir/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  tar --sort=name --numeric-owner --mtime=@0 -C "$dir" -cf "$out" oci-layout index.json blobs
  rm -rf "$dir"
}
