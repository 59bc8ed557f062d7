import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

export function QrCode({ url, size = 240 }: { url: string; size?: number }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(url, {
      margin: 2,
      width: size,
      errorCorrectionLevel: 'M',
      color: { dark: '#000000', light: '#ffffff' },
    })
      .then((data) => live && setSrc(data))
      .catch(() => live && setSrc(undefined));
    return () => {
      live = false;
    };
  }, [url, size]);
  return src ? (
    <img className="qr" src={src} width={size} height={size} alt={`QR code of the voting link ${url}`} />
  ) : null;
}
