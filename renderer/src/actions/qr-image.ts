// A tunnel from a picture of its QR code (a screenshot, a photo, the file a
// server's setup tool wrote), read with jsQR in the renderer.
import jsQRModule from 'jsqr';

// jsQR is a CommonJS bundle whose types declare an ES default export; it is callable either way.
const jsQR = (jsQRModule as unknown as { default: typeof jsQRModule.default }).default;

/** Pictures larger than this on either side are scaled down first: a phone photo reads as well, and much faster. */
const MAX_SIDE = 1600;
const IMAGE_EXTENSION = /\.(png|jpe?g|gif|webp|bmp)$/i;

export function isQrImage(file: File): boolean {
  return file.type.startsWith('image/') || IMAGE_EXTENSION.test(file.name);
}

export async function readQrCode(file: File): Promise<string> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('the picture could not be opened: it is damaged, or not a picture at all');
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('the picture could not be read here');
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const code = jsQR(context.getImageData(0, 0, width, height).data, width, height);
  if (!code || code.data.trim() === '') throw new Error('no QR code was found in the picture');
  return code.data;
}
