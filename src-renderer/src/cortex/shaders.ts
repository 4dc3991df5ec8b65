/**
 * The cortex shaders (GLSL ES 3.00, as strings: the CSP forbids eval, not strings).
 *
 * Vertex: every morph target (pial, white, inflated, flat) is a vertex attribute with its own normals;
 * the positions and normals are mixed by `uW` (weights of up to four stops) and the normal renormalised,
 * then the hemisphere is pushed apart by `uOffset`. A slider therefore changes four floats, never a
 * vertex buffer.
 *
 * Fragment: the curvature gray underneath (off / binary / smooth), the data coloured by a lookup in a
 * 256x1 colormap texture with vmin/vmax/threshold as uniforms; invalid (NaN), sub-threshold and
 * masked-out fragments show the curvature. Three channels (A, B, A-B) travel per vertex and `uChannel`
 * picks one, so switching A/B/A-B is a uniform change too.
 */

export const CORTEX_VERTEX = /* glsl */ `
uniform vec4 uW;
uniform vec3 uOffset;

in vec3 aPos1;
in vec3 aPos2;
in vec3 aPos3;
in vec3 aNrm1;
in vec3 aNrm2;
in vec3 aNrm3;
in float aCurv;
in vec3 aVal;
in vec3 aValid;
in float aMask;

out vec3 vNormal;
out float vCurv;
out vec3 vVal;
out vec3 vValid;
out float vMask;

void main() {
  vec3 p = position * uW.x + aPos1 * uW.y + aPos2 * uW.z + aPos3 * uW.w + uOffset;
  vec3 n = normal * uW.x + aNrm1 * uW.y + aNrm2 * uW.z + aNrm3 * uW.w;
  float nl = length(n);
  n = nl > 1e-6 ? n / nl : vec3(0.0, 0.0, 1.0);
  vNormal = normalize(normalMatrix * n);
  vCurv = aCurv;
  vVal = aVal;
  vValid = aValid;
  vMask = aMask;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(p, 1.0);
}
`

export const CORTEX_FRAGMENT = /* glsl */ `
precision highp float;

uniform sampler2D uCmap;
uniform float uVmin;
uniform float uVmax;
uniform float uThreshold;
uniform float uDiverging;
uniform float uHasOverlay;
uniform float uMaskOn;
uniform float uCurvMode;
uniform vec3 uChannel;

in vec3 vNormal;
in float vCurv;
in vec3 vVal;
in vec3 vValid;
in float vMask;

out vec4 fragColor;

void main() {
  vec3 n = normalize(vNormal);
  if (!gl_FrontFacing) n = -n;
  // Headlight: view space looks down -z, so +z points back at the camera.
  float diffuse = max(n.z, 0.0);

  float g;
  if (uCurvMode < 0.5) g = 0.62;
  else if (uCurvMode < 1.5) g = vCurv > 0.0 ? 0.42 : 0.68;
  else g = 0.55 - 0.2 * clamp(vCurv, -1.0, 1.0);
  vec3 col = vec3(g) * (0.45 + 0.55 * diffuse);

  if (uHasOverlay > 0.5) {
    float v = dot(vVal, uChannel);
    bool show = dot(vValid, uChannel) > 0.5;
    if (uDiverging > 0.5) show = show && abs(v) >= uThreshold;
    else show = show && v >= uThreshold;
    if (uMaskOn > 0.5) show = show && vMask > 0.5;
    if (show) {
      float span = uVmax - uVmin;
      float t = span != 0.0 ? clamp((v - uVmin) / span, 0.0, 1.0) : 0.5;
      vec3 c = texture(uCmap, vec2((t * 255.0 + 0.5) / 256.0, 0.5)).rgb;
      col = c * (0.72 + 0.28 * diffuse);
    }
  }
  fragColor = vec4(col, 1.0);
}
`
