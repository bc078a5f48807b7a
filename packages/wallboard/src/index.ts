// The wallboard (docs/wallboard.md): a static page built from web/ at build time with esbuild
// into dist/ (hashed asset names), served by the query service at `/`. This surface is what a
// server needs to serve a build, and the build itself for the scripts and tests that make one.
export { WALLBOARD_DIST, loadWallboard, type WallboardBuild, type WallboardFile } from './load';
export { buildWallboard, type BuildResult } from './build-entry';
