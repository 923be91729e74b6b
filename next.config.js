/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The engine and data folders are not part of the web bundle.
  outputFileTracingExcludes: { "*": ["engine/**", "data/**"] },
};

export default nextConfig;
